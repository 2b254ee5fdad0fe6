import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { KeyValueStore, RateLimiter, RateLimitOptions, Store } from './types.js';
import { limiterFrom } from './rate-limit.js';
import type { RedisClient } from '../../config/redis-connection.js';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export function redisKeyValue(client: RedisClient): KeyValueStore {
  return {
    kind: 'redis',
    get: (key) => client.get(key),
    present: async (keys) => {
      if (!keys.length) return new Set();
      // A cluster refuses MGET across slots (CROSSSLOT): one GET per key there.
      const values = client.isCluster ? await Promise.all(keys.map((k) => client.get(k))) : await client.mget(keys);
      return new Set(keys.filter((_, i) => values[i] !== null));
    },
    set: async (key, value, ttlSeconds) => {
      if (ttlSeconds === undefined) await client.set(key, value);
      else await client.set(key, value, 'EX', ttlSeconds);
    },
    setIfAbsent: async (key, value, ttlSeconds) => (await client.set(key, value, 'EX', ttlSeconds, 'NX')) === 'OK',
    take: (key) => client.getdel(key),
    delete: async (key) => {
      await client.del(key);
    },
    deleteIfValue: async (key, value) => Number(await client.eval(RELEASE, 1, key, value)) === 1,
    ping: async () => {
      await client.ping();
    },
  };
}

/** Every Redis duty on one ioredis client. */
export function redisStore(client: RedisClient): Store {
  return {
    kind: 'redis',
    kv: redisKeyValue(client),
    rateLimiter: (options: RateLimitOptions): RateLimiter =>
      limiterFrom(
        new RateLimiterRedis({
          storeClient: client,
          keyPrefix: `rl:${options.prefix}`,
          points: options.points,
          duration: options.durationSeconds,
        }),
      ),
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
