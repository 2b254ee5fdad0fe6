import type { FastifyInstance } from 'fastify';

/** `X-Version` and `X-Env` on every response, errors and 404s included (Dify's after_request). */
export function registerVersionHeaders(app: FastifyInstance, options: { version: string; env: string }): void {
  const headers = { 'X-Version': options.version, 'X-Env': options.env };
  // A callback hook, not an async one: every response passes here, a promise each is not free.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(headers);
    done(null, payload);
  });
}
