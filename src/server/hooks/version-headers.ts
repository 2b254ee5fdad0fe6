import type { FastifyInstance } from 'fastify';

/** `X-Version` and `X-Env` on every response, errors and 404s included (Dify's after_request). */
export function registerVersionHeaders(app: FastifyInstance, options: { version: string; env: string }): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('X-Version', options.version);
    reply.header('X-Env', options.env);
    return payload;
  });
}
