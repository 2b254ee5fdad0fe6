import type { Logger } from './logger.js';
import { clientFor, type RedisTarget } from '../config/redis-connection.js';
import type { KeyValueStore } from './store/types.js';

export const READY_KEY = 'api_service_status';
export const READY_TTL_SECONDS = 60;
export const READY_REFRESH_MS = 30_000;

/**
 * Keeps `api_service_status = ready` alive (TTL 60 s, refreshed every 30 s) while this api process
 * runs; `ps` and `doctor` read it. A failed refresh (db or redis away) is logged, never fatal.
 * @returns a function that stops refreshing
 */
export function startReadyMarker(options: { kv: KeyValueStore; logger: Logger; refreshMs?: number }): () => void {
  const mark = (): void => {
    options.kv.set(READY_KEY, 'ready', READY_TTL_SECONDS).catch((error: unknown) => {
      options.logger.warn({ err: String(error) }, 'could not refresh the ready marker');
    });
  };
  mark();
  const timer = setInterval(mark, options.refreshMs ?? READY_REFRESH_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The marker and the seconds it has left, read from outside the server (`ps`, `doctor`): from Redis,
 * or without Redis from the PostgreSQL fallback's `kv_store`. Undefined when absent or unreadable.
 * Kept next to the writer: the key and the row it reads are the ones written above.
 */
export async function readReadyMarkerAt(target: {
  redis?: { host: string; port: number; username?: string; password?: string; db: number };
  /** Sentinels, a cluster or TLS (REDIS_USE_SENTINEL / REDIS_USE_CLUSTERS / REDIS_USE_SSL): read through the api's own kind of client. */
  managedRedis?: RedisTarget;
  db: { host: string; port: number; user: string; password?: string; database: string };
}): Promise<{ value: string; ttlS: number } | undefined> {
  if (target.redis || target.managedRedis) {
    const once = {
      lazyConnect: true,
      connectTimeout: 800,
      commandTimeout: 800,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      sentinelRetryStrategy: () => null,
    };
    const r = target.redis;
    const client = target.managedRedis
      ? clientFor(target.managedRedis, once)
      : new (await import('ioredis')).Redis({
          host: r?.host,
          port: r?.port,
          username: r?.username || undefined,
          password: r?.password || undefined,
          db: r?.db,
          ...once,
        });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const [value, ttl] = await Promise.all([client.get(READY_KEY), client.ttl(READY_KEY)]);
      return value === null ? undefined : { value, ttlS: ttl >= 0 ? ttl : Number.POSITIVE_INFINITY };
    } catch {
      return undefined;
    } finally {
      client.disconnect();
    }
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ ...target.db, connectionTimeoutMillis: 800, query_timeout: 800 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const row = (
      await client.query<{ value: string; ttl: number | null }>(
        `SELECT value, EXTRACT(EPOCH FROM expires_at - now())::int AS ttl FROM kv_store WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())`,
        [READY_KEY],
      )
    ).rows[0];
    return row ? { value: row.value, ttlS: row.ttl ?? Number.POSITIVE_INFINITY } : undefined;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
