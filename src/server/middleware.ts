import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from './logger.js';
import { configInvalid } from '../config/errors.js';

/** The shape promised to users (templates/middleware/example.js). */
export type CustomMiddleware = (request: FastifyRequest, reply: FastifyReply, next: () => Promise<void>) => unknown;

/**
 * Imports CUSTOM_MIDDLEWARE_MODULE (a path relative to `baseDir`, or a package name).
 * @throws DifyctlError CONFIG.INVALID when the module cannot be imported or exports no `middleware`
 */
export async function loadMiddleware(options: { module: string; baseDir: string }): Promise<CustomMiddleware> {
  const spec =
    options.module.startsWith('.') || path.isAbsolute(options.module)
      ? pathToFileURL(path.resolve(options.baseDir, options.module)).href
      : options.module;
  let mod: { middleware?: unknown; default?: { middleware?: unknown } };
  try {
    mod = (await import(spec)) as typeof mod;
  } catch (error) {
    throw configInvalid(
      `CUSTOM_MIDDLEWARE_MODULE ${options.module} could not be imported: ${(error as Error).message}`,
      {
        hint: 'Point CUSTOM_MIDDLEWARE_MODULE at a .js module (relative to the project directory), or set CUSTOM_MIDDLEWARE_ENABLED=false.',
        cause: error,
      },
    );
  }
  const fn = mod.middleware ?? mod.default?.middleware;
  if (typeof fn !== 'function') {
    throw configInvalid(`CUSTOM_MIDDLEWARE_MODULE ${options.module} does not export a function named middleware`, {
      hint: 'export async function middleware(request, reply, next) { await next(); } — see templates/middleware/example.js',
    });
  }
  return fn as CustomMiddleware;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

const deferred = (): Deferred => {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

const STATE = Symbol('customMiddleware');
type WithState = FastifyRequest & { [STATE]?: { handled: Deferred; done: Promise<unknown> } };

/**
 * Wraps request handling in the user's middleware: it runs first (onRequest); `next()` lets the
 * request through and resolves once the response is ready but not yet sent (onSend), so code after
 * `await next()` can still set headers. A middleware that answers itself (reply.send) ends it there.
 */
export function registerMiddleware(
  app: FastifyInstance,
  options: { middleware: CustomMiddleware; logger: Logger },
): void {
  app.addHook('onRequest', (request, reply, done) => {
    const handled = deferred();
    let continued = false;
    const next = (): Promise<void> => {
      if (!continued) {
        continued = true;
        done();
      }
      return handled.promise;
    };
    const run = Promise.resolve().then(() => options.middleware(request, reply, next));
    (request as WithState)[STATE] = { handled, done: run };
    run.then(
      () => {
        if (!continued && !reply.sent) next();
      },
      (error: unknown) => {
        if (!continued) {
          continued = true;
          done(error as Error);
        } else options.logger.error({ err: error }, 'custom middleware failed after next()');
      },
    );
  });
  app.addHook('onSend', async (request, _reply, payload) => {
    const state = (request as WithState)[STATE];
    if (!state) return payload;
    state.handled.resolve();
    await state.done.catch(() => {});
    return payload;
  });
}
