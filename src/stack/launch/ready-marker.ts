import type { Settings } from '../../config/schema.js';
import { READY_KEY } from '../../server/ready-marker.js';
import type { StackState } from '../state.js';

/** Where the running stack's db and redis answer: the address `up` recorded, else the settings. */
function address(state: StackState, name: 'db' | 'redis', host: string, port: number) {
  const record = state.services[name];
  return record?.host && record.port ? { host: record.host, port: record.port } : { host, port };
}

/**
 * The api's ready marker (`api_service_status`) and the seconds it has left, read from Redis or,
 * without Redis, the PostgreSQL fallback's `kv_store`. Undefined when absent or unreadable.
 */
export async function readReadyMarker(settings: Settings, state: StackState): Promise<{ value: string; ttlS: number } | undefined> {
  if (state.services.redis?.provider !== 'none') {
    const { Redis } = await import('ioredis');
    const a = address(state, 'redis', settings.REDIS_HOST, settings.REDIS_PORT);
    const client = new Redis({ ...a, username: settings.REDIS_USERNAME || undefined, password: settings.REDIS_PASSWORD || undefined, db: settings.REDIS_DB, lazyConnect: true, connectTimeout: 800, maxRetriesPerRequest: 0, retryStrategy: () => null });
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
  const a = address(state, 'db', settings.DB_HOST, settings.DB_PORT);
  const client = new pg.Client({ ...a, user: settings.DB_USERNAME, password: settings.DB_PASSWORD, database: settings.DB_DATABASE, connectionTimeoutMillis: 800, query_timeout: 800 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const row = (await client.query<{ value: string; ttl: number | null }>(`SELECT value, EXTRACT(EPOCH FROM expires_at - now())::int AS ttl FROM kv_store WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())`, [READY_KEY])).rows[0];
    return row ? { value: row.value, ttlS: row.ttl ?? Number.POSITIVE_INFINITY } : undefined;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
