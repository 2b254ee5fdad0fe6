// An example custom middleware. With CUSTOM_MIDDLEWARE_ENABLED=true and
// CUSTOM_MIDDLEWARE_MODULE=./middleware/example.js the API server imports this module and calls
// `middleware` around every request: run code before `next()`, after it, or answer yourself.

/**
 * @param {{ method: string, url: string, headers: Record<string, string | string[] | undefined> }} request
 * @param {{ header(name: string, value: string): void }} reply
 * @param {() => Promise<void>} next
 */
export async function middleware(request, reply, next) {
  const started = Date.now();
  await next();
  reply.header('X-Example-Middleware', `${Date.now() - started}ms`);
}
