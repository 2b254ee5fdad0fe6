import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from './redis-target.js';
import { clusterOptions } from './redis-target.js';

export { brokerTarget, cacheTarget, type RedisTarget } from './redis-target.js';

/** A client of one server, of a sentinel-managed master, or of a cluster: the commands are the same. */
export type RedisClient = Redis | Cluster;

/** How long a cache, rate-limit or token command may wait for Redis. @default 2000 ms */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;

/** Tuning for the cache's connections (cache, limits, tokens, locks, ready marker). */
export const CACHE_TUNING: RedisOptions = {
  connectTimeout: 2000,
  // A Redis that is connected but does not answer (stalled, SIGSTOP, a full network buffer) fails
  // the command after this long: the request answers 503 instead of hanging.
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  // Fail fast while Redis is away instead of queueing commands forever; the health check reports it.
  maxRetriesPerRequest: 1,
  enableOfflineQueue: true,
  retryStrategy: (times) => Math.min(times * 100, 1000),
};

/**
 * Tuning for the task queue's connections. No command timeout: BullMQ's workers block on Redis by
 * design; producers have their own deadline (ENQUEUE_TIMEOUT_MS). BullMQ needs
 * `maxRetriesPerRequest: null` on a worker's connection.
 */
export const BROKER_TUNING: RedisOptions = {
  connectTimeout: 2000,
  maxRetriesPerRequest: null,
  enableOfflineQueue: true,
  retryStrategy: (times) => Math.min(times * 100, 1000),
};

/** A new, unconnected-yet client for `target` with `tuning` (lazyConnect off: it connects at once). */
export function clientFor(target: RedisTarget, tuning: RedisOptions): RedisClient {
  const options = { ...target.options, ...tuning };
  return target.kind === 'cluster' ? new Cluster(target.nodes, clusterOptions(options)) : new Redis(options);
}

/** A client whose connection errors are reported to `onError` instead of crashing the process. */
export function connectRedis(
  target: RedisTarget,
  onError: (error: Error) => void,
  tuning: RedisOptions = CACHE_TUNING,
): RedisClient {
  const client = clientFor(target, tuning);
  client.on('error', onError);
  return client;
}
