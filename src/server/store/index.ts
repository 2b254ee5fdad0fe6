import type pg from 'pg';
import { parseDbExtras, pgSsl } from '../../config/db-extras.js';
import type { Settings } from '../../config/schema.js';
import type { Logger } from '../logger.js';
import { postgresStore } from './postgres-store.js';
import type { RetryPolicy, TaskQueue } from './queue.js';
import { brokerTarget, cacheTarget, connectRedis } from '../../config/redis-connection.js';
import { redisStore } from './redis-store.js';
import type { Store } from './types.js';

export type { KeyValueStore, RateLimiter, Store } from './types.js';
export type { QueueName, Task, TaskQueue, TaskState } from './queue.js';

export interface Backends {
  store: Store;
  queue: TaskQueue;
  /** Answers when the Redis behind the store is reachable; undefined without Redis. */
  pingRedis?: () => Promise<void>;
}

/**
 * The Redis duties on Redis when there is one, on PostgreSQL otherwise (SPEC §3, embedded provider
 * without redis-server). Heavy queue libraries are imported only for the backend in use.
 */
export async function openBackends(options: {
  settings: Settings;
  redisEnabled: boolean;
  pool: pg.Pool;
  logger: Logger;
  retry?: RetryPolicy;
  supervise?: boolean;
  pollingIntervalSeconds?: number;
}): Promise<Backends> {
  const { settings, logger } = options;
  // A Redis that is away errors on every reconnect attempt: one line per 30 s is enough.
  const lastLogged = new Map<string, number>();
  const warn = (what: string) => (error: Error) => {
    const now = Date.now();
    if (now - (lastLogged.get(what) ?? 0) < 30_000) return;
    lastLogged.set(what, now);
    logger.warn({ err: error.message }, `${what} connection error (repeats are silenced for 30 s)`);
  };
  if (options.redisEnabled) {
    // Both targets first: a bad REDIS_* / CELERY_* combination is refused before anything connects.
    const cache = cacheTarget(settings);
    const broker = brokerTarget(settings);
    const client = connectRedis(cache, warn('redis'));
    const { bullmqQueue } = await import('./queue-bullmq.js');
    return {
      store: redisStore(client),
      queue: bullmqQueue({ target: broker, retry: options.retry, onError: warn('queue') }),
      pingRedis: async () => {
        await client.ping();
      },
    };
  }
  const { pgBossQueue } = await import('./queue-pgboss.js');
  return {
    store: postgresStore(options.pool),
    queue: pgBossQueue({
      connection: {
        host: settings.DB_HOST,
        port: settings.DB_PORT,
        user: settings.DB_USERNAME,
        password: settings.DB_PASSWORD,
        database: settings.DB_DATABASE,
        ssl: pgSsl(parseDbExtras(settings.DB_EXTRAS).extras),
      },
      retry: options.retry,
      supervise: options.supervise,
      pollingIntervalSeconds: options.pollingIntervalSeconds,
      onError: warn('queue'),
    }),
  };
}
