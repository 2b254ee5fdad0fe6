import type { RedisConnection } from '../types.js';
import { redisCommands } from './resp.js';
import { hostNotFound } from './tcp.js';
import { notReady, reasonOf, type Probe, type ReadinessStrategy } from './strategy.js';
import { redisAuthFailed } from '../errors.js';

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
      fatal: redisAuthFailed(`Redis at ${where} refused the credentials: ${message}`, {
        hint: noPassword
          ? 'The server has no password: clear REDIS_PASSWORD in .env, or give the server one (requirepass).'
          : `Set REDIS_PASSWORD${conn.username ? ' and REDIS_USERNAME' : ''} in .env to the server's requirepass.`,
        cause: error,
      }),
    };
  }
  if (code === 'ENOTFOUND')
    return {
      ok: false,
      reason: `${conn.host} does not resolve`,
      fatal: hostNotFound({ host: conn.host, hostVar: 'REDIS_HOST', cause: error }),
    };
  if (code === 'ECONNREFUSED') return notReady(`connection refused at ${where}`);
  return notReady(`${where}: ${message}`);
}

/** Ready when Redis answers PING with the configured auth (and SELECT of the configured db). */
export function redisStrategy(conn: RedisConnection): ReadinessStrategy {
  return {
    name: `redis PING ${conn.host}:${conn.port}`,
    async check({ timeoutMs }): Promise<Probe> {
      // The commands a client library would send, in one round trip (no library to load per probe).
      const commands: string[][] = [];
      if (conn.password)
        commands.push(conn.username ? ['AUTH', conn.username, conn.password] : ['AUTH', conn.password]);
      if (conn.db) commands.push(['SELECT', String(conn.db)]);
      commands.push(['PING']);
      try {
        const replies = await redisCommands({
          host: conn.host,
          port: conn.port,
          commands,
          timeoutMs: Math.max(100, timeoutMs),
        });
        const refused = replies.find((r) => !r.ok);
        if (refused && !refused.ok) return classifyRedisError(new Error(refused.error), conn);
        const answer = replies.at(-1);
        return answer?.ok && answer.value === 'PONG'
          ? { ok: true }
          : notReady(`PING answered ${answer?.ok ? answer.value : '?'}`);
      } catch (error) {
        return classifyRedisError(error, conn);
      }
    },
  };
}
