import { Redis, type RedisOptions } from 'ioredis';
import type { Settings } from '../../config/schema.js';

type RedisSettings = Pick<Settings, 'REDIS_HOST' | 'REDIS_PORT' | 'REDIS_USERNAME' | 'REDIS_PASSWORD' | 'REDIS_DB' | 'REDIS_USE_SSL'>;

/** How long a cache, rate-limit or token command may wait for Redis. @default 2000 ms */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;

/** ioredis options from REDIS_* (the cache, limits, tokens, locks, ready marker). */
export function redisOptions(settings: RedisSettings): RedisOptions {
  return {
    host: settings.REDIS_HOST,
    port: settings.REDIS_PORT,
    username: settings.REDIS_USERNAME,
    password: settings.REDIS_PASSWORD,
    db: settings.REDIS_DB,
    tls: settings.REDIS_USE_SSL ? {} : undefined,
    connectTimeout: 2000,
    // A Redis that is connected but does not answer (stalled, SIGSTOP, a full network buffer) fails
    // the command after this long: the request answers 503 instead of hanging.
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    // Fail fast while Redis is away instead of queueing commands forever; the health check reports it.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  };
}

/**
 * Options for the task queue's connection: CELERY_BROKER_URL when set (Dify points it at
 * `redis://:pw@redis:6379/1`), REDIS_* otherwise. BullMQ needs `maxRetriesPerRequest: null`.
 */
export function brokerOptions(settings: RedisSettings & Pick<Settings, 'CELERY_BROKER_URL'>): RedisOptions {
  // No command timeout here: BullMQ's workers block on Redis by design; producers have their own
  // deadline (ENQUEUE_TIMEOUT_MS).
  const { commandTimeout: _blocking, ...shared } = redisOptions(settings);
  const base = { ...shared, maxRetriesPerRequest: null };
  if (!settings.CELERY_BROKER_URL) return base;
  const url = new URL(settings.CELERY_BROKER_URL);
  const db = Number(url.pathname.replace('/', '') || '0');
  return {
    ...base,
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: Number.isInteger(db) ? db : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
  };
}

/** A client whose connection errors are reported to `onError` instead of crashing the process. */
export function connectRedis(options: RedisOptions, onError: (error: Error) => void): Redis {
  const client = new Redis({ ...options, lazyConnect: false });
  client.on('error', onError);
  return client;
}
