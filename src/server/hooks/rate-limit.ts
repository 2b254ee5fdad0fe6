import type { FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.js';
import type { RateLimiter, Store } from '../store/types.js';

/**
 * A preHandler that spends one point per request of the client address; when the window is spent
 * it answers 429 with `Retry-After` (seconds).
 */
export function limitByAddress(limiter: RateLimiter) {
  return async (request: FastifyRequest): Promise<void> => {
    const result = await limiter.consume(request.ip);
    if (!result.allowed) {
      throw new HttpError(429, 'too_many_requests', 'Too many requests. Please try again later.', { 'Retry-After': String(result.retryAfterSeconds) });
    }
  };
}

/**
 * The service API limit per key (SPEC §5): the app's `api_rpm` requests per minute for each of its
 * keys; 0 means unlimited. One limiter per distinct rate, shared by the keys that use it.
 */
export function limitByAppKey(store: Pick<Store, 'rateLimiter'>) {
  const limiters = new Map<number, RateLimiter>();
  return async (request: FastifyRequest): Promise<void> => {
    if (request.auth?.kind !== 'app' || request.auth.apiRpm <= 0) return;
    const rpm = request.auth.apiRpm;
    let limiter = limiters.get(rpm);
    if (!limiter) limiters.set(rpm, (limiter = store.rateLimiter({ prefix: `api-key-${rpm}`, points: rpm, durationSeconds: 60 })));
    const result = await limiter.consume(request.auth.keyId);
    if (!result.allowed) {
      throw new HttpError(429, 'too_many_requests', `Rate limit exceeded: ${rpm} requests per minute for this API key.`, { 'Retry-After': String(result.retryAfterSeconds) });
    }
  };
}
