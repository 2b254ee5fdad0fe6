import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimiter } from './types.js';

/**
 * Adapts rate-limiter-flexible: it rejects with a RateLimiterRes when the points are spent and
 * with an Error when the store fails (that one propagates: a limiter that cannot count is a 5xx,
 * not a free pass).
 */
export function limiterFrom(limiter: RateLimiterAbstract): RateLimiter {
  return {
    consume: async (key) => {
      try {
        await limiter.consume(key);
        return { allowed: true, retryAfterSeconds: 0 };
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes)
          return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
        throw rejection;
      }
    },
  };
}
