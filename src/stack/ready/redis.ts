import { DifyctlError } from '../../errors/index.js';
import type { RedisConnection } from '../types.js';
import { hostNotFound } from './tcp.js';
import { notReady, reasonOf, type Probe, type ReadinessStrategy } from './strategy.js';

const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username-password|without any password configured/i;

/** Wrong credentials and an unknown host are fatal; anything else (loading, refused) is waited on. */
export function classifyRedisError(error: unknown, conn: RedisConnection): Probe {
  const message = reasonOf(error);
  const code = (error as NodeJS.ErrnoException | undefined)?.code; // socket errors carry a code
  const where = `${conn.host}:${conn.port}`;
  if (AUTH_FAILURE.test(message)) {
    const noPassword = /without any password configured/i.test(message);
    return {
      ok: false,
      reason: message,
      fatal: new DifyctlError('REDIS.AUTH_FAILED', `Redis at ${where} refused the credentials: ${message}`, {
        hint: noPassword
          ? 'The server has no password: clear REDIS_PASSWORD in .env, or give the server one (requirepass).'
          : `Set REDIS_PASSWORD${conn.username ? ' and REDIS_USERNAME' : ''} in .env to the server's requirepass.`,
        cause: error,
      }),
    };
  }
  if (code === 'ENOTFOUND') return { ok: false, reason: `${conn.host} does not resolve`, fatal: hostNotFound({ host: conn.host, hostVar: 'REDIS_HOST', cause: error }) };
  if (code === 'ECONNREFUSED') return notReady(`connection refused at ${where}`);
  return notReady(`${where}: ${message}`);
}

/** Ready when Redis answers PING with the configured auth. */
export function redisStrategy(conn: RedisConnection): ReadinessStrategy {
  return {
    name: `redis PING ${conn.host}:${conn.port}`,
    async check({ timeoutMs }): Promise<Probe> {
      const { Redis } = await import('ioredis');
      const client = new Redis({
        host: conn.host,
        port: conn.port,
        username: conn.username || undefined,
        password: conn.password || undefined,
        db: conn.db,
        lazyConnect: true,
        connectTimeout: Math.max(100, timeoutMs),
        commandTimeout: Math.max(100, timeoutMs),
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => null,
        // Its 2 s default keeps a closed probe's socket timer alive (and the CLI with it).
        disconnectTimeout: 50,
      });
      // ioredis emits the server's reply (WRONGPASS…) as an event and rejects with "Connection is closed".
      let emitted: unknown;
      client.on('error', (error: unknown) => (emitted ??= error));
      try {
        await client.connect();
        const answer = await client.ping();
        return answer === 'PONG' ? { ok: true } : notReady(`PING answered ${answer}`);
      } catch (error) {
        return classifyRedisError(emitted ?? error, conn);
      } finally {
        client.disconnect();
      }
    },
  };
}
