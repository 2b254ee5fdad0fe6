import type { FastifyInstance } from 'fastify';

/** `X-Version` and `X-Env`, as every response carries them (Dify's after_request). */
export const versionHeaders = (options: { version: string; env: string }) => ({
  'x-version': options.version,
  'x-env': options.env,
});

/** `X-Version` and `X-Env` on every response, errors and 404s included. */
export function registerVersionHeaders(app: FastifyInstance, options: { version: string; env: string }): void {
  const headers = versionHeaders(options);
  // A callback hook, not an async one: every response passes here, a promise each is not free.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(headers);
    done(null, payload);
  });
}
