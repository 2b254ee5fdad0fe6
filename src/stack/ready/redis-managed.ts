import type { Settings } from '../../config/schema.js';
import { DifyctlError } from '../../errors/index.js';
import { clientFor, type RedisClient } from '../../config/redis-connection.js';
import { cacheTarget } from '../../config/redis-target.js';
import { notReady, reasonOf, type Probe, type ReadinessStrategy } from './strategy.js';
import { redisAuthFailed, redisTlsFailed } from '../errors.js';

const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;
const TLS_FAILURE = /certificate|self[- ]signed|unable to verify|SSL|TLS|wrong version number|ERR_SSL/i;

/** Sentinels, a cluster, or TLS: what the plain-RESP probe cannot reach and the api connects to through ioredis. */
export const isManagedRedis = (
  s: Pick<Settings, 'REDIS_USE_SENTINEL' | 'REDIS_USE_CLUSTERS' | 'REDIS_USE_SSL'>,
): boolean => s.REDIS_USE_SENTINEL || s.REDIS_USE_CLUSTERS || s.REDIS_USE_SSL;

/** The variables that say where a managed Redis is, for messages. */
export function managedRedisVars(s: Pick<Settings, 'REDIS_USE_SENTINEL' | 'REDIS_USE_CLUSTERS'>): {
  where: string;
  password: string;
} {
  if (s.REDIS_USE_SENTINEL)
    return {
      where: 'REDIS_SENTINELS / REDIS_SENTINEL_SERVICE_NAME',
      password: 'REDIS_PASSWORD (the master) or REDIS_SENTINEL_PASSWORD (the sentinels)',
    };
  if (s.REDIS_USE_CLUSTERS) return { where: 'REDIS_CLUSTERS', password: 'REDIS_CLUSTERS_PASSWORD' };
  return { where: 'REDIS_HOST / REDIS_PORT', password: 'REDIS_PASSWORD' };
}

/** Wrong credentials, a refused certificate and a bad setting are fatal; anything else is waited on. */
export function classifyManagedRedisError(error: unknown, s: Settings): Probe {
  if (error instanceof DifyctlError) return { ok: false, reason: error.message, fatal: error };
  const message = reasonOf(error);
  const vars = managedRedisVars(s);
  if (AUTH_FAILURE.test(message)) {
    return {
      ok: false,
      reason: message,
      fatal: redisAuthFailed(`Redis (${vars.where}) refused the credentials: ${message}`, {
        hint: `Set ${vars.password} in .env to the server's requirepass.`,
        cause: error,
      }),
    };
  }
  if (s.REDIS_USE_SSL && TLS_FAILURE.test(message)) {
    return {
      ok: false,
      reason: message,
      fatal: redisTlsFailed(`TLS to Redis (${vars.where}) failed: ${message}`, {
        hint: 'Point REDIS_SSL_CA_CERTS at the CA that signed the server certificate (REDIS_SSL_CERT_REQS=CERT_NONE encrypts without checking), or set REDIS_USE_SSL=false for a server without TLS.',
        cause: error,
      }),
    };
  }
  return notReady(`${vars.where}: ${message}`);
}

/**
 * Ready when the api's own client (ioredis, as the server builds it) reaches Redis: the sentinels
 * name a master that answers PING, every node of the cluster agrees its state is ok, or the TLS
 * handshake passes with the configured certificates.
 */
export function managedRedisStrategy(settings: Settings): ReadinessStrategy {
  const vars = managedRedisVars(settings);
  return {
    name: `redis PING through ${vars.where}`,
    async check({ timeoutMs }): Promise<Probe> {
      let client: RedisClient | undefined;
      let lastError: Error | undefined;
      try {
        const bound = Math.max(200, timeoutMs);
        client = clientFor(cacheTarget(settings), {
          connectTimeout: bound,
          commandTimeout: bound,
          maxRetriesPerRequest: 0,
          enableOfflineQueue: true,
          lazyConnect: true,
          retryStrategy: () => null,
          sentinelRetryStrategy: () => null,
        });
        client.on('error', (error: Error) => (lastError = error));
        const deadline = new Promise<never>((_, reject) =>
          setTimeout(() => reject(lastError ?? new Error(`no answer in ${bound} ms`)), bound).unref(),
        );
        await Promise.race([client.connect(), deadline]);
        if (settings.REDIS_USE_CLUSTERS) {
          const state = /cluster_state:(\w+)/.exec(String(await client.call('CLUSTER', 'INFO')))?.[1];
          if (state !== 'ok') return notReady(`cluster_state:${state ?? '?'}`);
        }
        const pong = await Promise.race([client.ping(), deadline]);
        return pong === 'PONG' ? { ok: true } : notReady(`PING answered ${pong}`);
      } catch (error) {
        return classifyManagedRedisError(
          lastError && !(error instanceof DifyctlError) && /no answer|Connection is closed/.test(reasonOf(error))
            ? lastError
            : error,
          settings,
        );
      } finally {
        client?.disconnect();
      }
    },
  };
}
