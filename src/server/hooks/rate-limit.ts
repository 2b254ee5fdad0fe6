import type { FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.js';
import type { RateLimiter } from '../store/types.js';

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
