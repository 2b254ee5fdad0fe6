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
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * A preHandler that spends one point per request of the client address (see addressKey); when the
 * window is spent it answers 429 with `Retry-After` (seconds).
 */
export function limitByAddress(limiter: RateLimiter) {
  return async (request: FastifyRequest): Promise<void> => {
    const result = await limiter.consume(addressKey(request.ip));
    if (!result.allowed) {
      throw new HttpError(429, 'too_many_requests', 'Too many requests. Please try again later.', {
        'Retry-After': String(result.retryAfterSeconds),
      });
    }
  };
}

/** A service API window: `api_rpm` per minute or `api_rph` per hour. */
const WINDOWS = [
  { rate: (auth: AppAuth) => auth.apiRpm, seconds: 60, prefix: 'api-key', unit: 'minute' },
  { rate: (auth: AppAuth) => auth.apiRph, seconds: 3600, prefix: 'api-key-hour', unit: 'hour' },
] as const;

type AppAuth = Extract<NonNullable<FastifyRequest['auth']>, { kind: 'app' }>;

/**
 * The service API limits per key (SPEC §5): the app's `api_rpm` requests per minute and `api_rph`
 * requests per hour, counted for each of its keys; 0 means unlimited. A request over either answers
 * 429 with `Retry-After` (seconds until that window lets it through). One limiter per distinct rate,
 * shared by the keys that use it.
 */
export function limitByAppKey(store: Pick<Store, 'rateLimiter'>) {
  const limiters = new Map<string, RateLimiter>();
  const limiterFor = (prefix: string, points: number, durationSeconds: number): RateLimiter => {
    const key = `${prefix}-${points}`;
    let limiter = limiters.get(key);
    if (!limiter) limiters.set(key, (limiter = store.rateLimiter({ prefix: key, points, durationSeconds })));
    return limiter;
  };
  return async (request: FastifyRequest): Promise<void> => {
    const auth = request.auth;
    if (auth?.kind !== 'app') return;
    for (const window of WINDOWS) {
      const rate = window.rate(auth);
      if (rate <= 0) continue;
      const result = await limiterFor(window.prefix, rate, window.seconds).consume(auth.keyId);
      if (!result.allowed) {
        throw new HttpError(
          429,
          'too_many_requests',
          `Rate limit exceeded: ${rate} requests per ${window.unit} for this API key.`,
          { 'Retry-After': String(result.retryAfterSeconds) },
        );
      }
    }
  };
}
