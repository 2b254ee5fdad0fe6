import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Routes that never wait for a slot: the liveness probe must answer while the process is busy. */
const EXEMPT = new Set(['/health']);

const isExempt = (request: FastifyRequest): boolean => EXEMPT.has(request.routeOptions.url ?? '');

/**
 * SERVER_WORKER_CONNECTIONS as gevent's pool means it: at most `max` requests are served at once by
 * this process; more wait their turn in arrival order (gunicorn leaves them in the listen backlog)
 * instead of being dropped. A slot is freed when the response closes, finished or aborted; a client
 * that hangs up while waiting leaves the queue without ever taking a slot.
 *
 * A request counts only once it can run: the slot is taken at preHandler, after its body has been
 * read (gevent reads a request before a greenlet serves it, and nginx buffers bodies before it
 * forwards them). A client trickling a body holds a socket, never a slot, so ten slow bodies cannot
 * freeze the routes; the time a body may take is bounded by the server's request timeout.
 * `/health` is never queued. A CUSTOM_MIDDLEWARE runs at onRequest: what it does before `next()`
 * is not counted, what it does after is (the slot is held until the response closes).
 */
export function registerConcurrencyLimit(app: FastifyInstance, max: number): void {
  let active = 0;
  const waiting = new Set<() => void>();
  const release = (): void => {
    const next = waiting.values().next();
    if (next.done) {
      active -= 1;
      return;
    }
    waiting.delete(next.value);
    next.value();
  };
  // A callback hook: a request that finds a free slot goes on without a promise.
  app.addHook('preHandler', (request, reply, done) => {
    if (isExempt(request)) return done();
    // The response may already be gone (client hung up while its body was read): take nothing.
    if (reply.raw.destroyed || reply.raw.writableEnded) return done();
    // An object, not a let: the close listener and the grant change it behind TypeScript's back.
    const slot: { state: 'waiting' | 'holding' | 'gone' } = { state: 'waiting' };
    let grant: (() => void) | undefined;
    let resolveWait = (): void => {};
    reply.raw.once('close', () => {
      if (slot.state === 'holding') release();
      else if (grant) {
        waiting.delete(grant);
        resolveWait();
      }
      slot.state = 'gone';
    });
    if (active < max) {
      active += 1;
      slot.state = 'holding';
      return done();
    }
    void new Promise<void>((resolve) => {
      resolveWait = resolve;
      // Called by release(): this request now holds the slot that was freed.
      grant = () => {
        slot.state = 'holding';
        resolve();
      };
      waiting.add(grant);
    }).then(() => {
      if (slot.state !== 'gone') return done();
      reply
        .code(503)
        .send({ code: 'client_closed', message: 'The client closed the connection while waiting.', status: 503 });
    });
  });
}
