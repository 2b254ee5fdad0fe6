import type pg from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { limiterFrom } from './rate-limit.js';
import type { KeyValueStore, RateLimiter, RateLimitOptions, Store } from './types.js';

/** rate-limiter-flexible's own table (it creates it, concurrency-safe, on first use). */
export const RATE_LIMIT_TABLE = 'difyctl_rate_limits';

const LIVE = '(expires_at IS NULL OR expires_at > now())';
const expiry = (ttlSeconds?: number): string | null =>
  ttlSeconds === undefined ? null : new Date(Date.now() + ttlSeconds * 1000).toISOString();

/** The no-Redis fallback: `kv_store(key, value, expires_at)`; an expired row reads as absent. */
export function postgresKeyValue(pool: pg.Pool): KeyValueStore {
  return {
    kind: 'postgres',
    get: async (key) =>
      (await pool.query<{ value: string }>(`SELECT value FROM kv_store WHERE key = $1 AND ${LIVE}`, [key])).rows[0]
        ?.value ?? null,
    present: async (keys) => {
      const { rows } = await pool.query<{ key: string }>(
        `SELECT key FROM kv_store WHERE key = ANY($1::text[]) AND ${LIVE}`,
        [keys],
      );
      return new Set(rows.map((r) => r.key));
    },
    set: async (key, value, ttlSeconds) => {
      await pool.query(
        `INSERT INTO kv_store (key, value, expires_at, updated_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, updated_at = now()`,
        [key, value, expiry(ttlSeconds)],
      );
    },
    setIfAbsent: async (key, value, ttlSeconds) => {
      const result = await pool.query(
        `INSERT INTO kv_store (key, value, expires_at, updated_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, updated_at = now()
         WHERE kv_store.expires_at IS NOT NULL AND kv_store.expires_at <= now()`,
        [key, value, expiry(ttlSeconds)],
      );
      return result.rowCount === 1;
    },
    take: async (key) =>
      (await pool.query<{ value: string }>(`DELETE FROM kv_store WHERE key = $1 AND ${LIVE} RETURNING value`, [key]))
        .rows[0]?.value ?? null,
    delete: async (key) => {
      await pool.query('DELETE FROM kv_store WHERE key = $1', [key]);
    },
    deleteIfValue: async (key, value) =>
      (await pool.query('DELETE FROM kv_store WHERE key = $1 AND value = $2', [key, value])).rowCount === 1,
    ping: async () => {
      await pool.query('SELECT 1');
    },
  };
}

/** How often expired `kv_store` rows (refresh tokens, locks, cache) are deleted. @default 10 min */
export const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/** Deletes expired rows (Redis expires keys itself; here reads skip them, and this reclaims them). */
export async function sweepExpired(pool: pg.Pool): Promise<number> {
  return (await pool.query('DELETE FROM kv_store WHERE expires_at IS NOT NULL AND expires_at <= now()')).rowCount ?? 0;
}

/** Every Redis duty on PostgreSQL (no Redis configured). */
export function postgresStore(pool: pg.Pool, options: { sweepIntervalMs?: number } = {}): Store {
  const kv = postgresKeyValue(pool);
  // A failed sweep (the database away) is simply tried again next time.
  const sweeper = setInterval(
    () => void sweepExpired(pool).catch(() => undefined),
    options.sweepIntervalMs ?? SWEEP_INTERVAL_MS,
  );
  sweeper.unref();
  return {
    kind: 'postgres',
    kv,
    rateLimiter: (options: RateLimitOptions): RateLimiter => {
      let ready: Promise<RateLimiterPostgres> | undefined;
      const create = (): Promise<RateLimiterPostgres> =>
        new Promise((resolve, reject) => {
          const limiter: RateLimiterPostgres = new RateLimiterPostgres(
            {
              storeClient: pool,
              storeType: 'pool',
              tableName: RATE_LIMIT_TABLE,
              keyPrefix: `rl:${options.prefix}`,
              points: options.points,
              duration: options.durationSeconds,
              clearExpiredByTimeout: false,
            },
            (error?: Error) => (error ? reject(error) : resolve(limiter)),
          );
        });
      return {
        consume: async (key) => {
          // The table is created lazily; a failed creation (db away) is retried on the next request.
          ready ??= create().catch((error: unknown) => {
            ready = undefined;
            throw error;
          });
          return limiterFrom(await ready).consume(key);
        },
      };
    },
    // The pool belongs to the app; only the sweeper is ours.
    close: async () => {
      clearInterval(sweeper);
    },
  };
}
