import { isIPv6 } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.js';
import type { RateLimiter, Store } from '../store/types.js';

/**
 * The rate-limit key of a client address: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its /64, the
 * block one subscriber gets: otherwise a client could take a fresh address for every request.
 */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * A preHandler that spends one point per request of the client address (see addressKey); when the
 * window is spent it answers 429 with `Retry-After` (seconds).
 */
export function limitByAddress(limiter: RateLimiter) {
  return async (request: FastifyRequest): Promise<void> => {
    const result = await limiter.consume(addressKey(request.ip));
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
