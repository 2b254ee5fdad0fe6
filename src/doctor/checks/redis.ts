import { isDifyctlError } from '../../errors/index.js';
import { redisStrategy } from '../../stack/ready/redis.js';
import { isManagedRedis, managedRedisStrategy, managedRedisVars } from '../../stack/ready/redis-managed.js';
import { tcpConnect } from '../../stack/ready/tcp.js';
import { redisTarget, stackState } from '../targets.js';
import { SETTINGS_DO_NOT_PARSE, type Check, type CheckResult } from '../types.js';

/**
 * Redis reachable, auth accepted, PING answered; or the PostgreSQL fallback when the stack has no Redis.
 * Sentinels, a cluster or TLS are reached as the api reaches them (ioredis).
 */
export const redisCheck: Check = {
  id: 'redis',
  title: 'Redis',
  run: async ({ config }): Promise<CheckResult> => {
    const s = config.typed;
    if (!s) return SETTINGS_DO_NOT_PARSE;
    const target = redisTarget(s, await stackState(config));
    if (target !== 'none' && isManagedRedis(s)) {
      // Sentinels, a cluster or TLS: the api's own client (redis.sentinel, redis.cluster, redis.tls say more).
      const vars = managedRedisVars(s);
      const probe = await managedRedisStrategy(s).check({ timeoutMs: 1500 });
      if (probe.ok) return { status: 'ok', finding: `PONG through ${vars.where}` };
      return {
        status: 'fail',
        finding: probe.fatal?.message ?? probe.reason,
        fix: probe.fatal?.hint ?? `Check ${vars.where}.`,
      };
    }
    if (target === 'none')
      return { status: 'ok', finding: 'none (PostgreSQL fallback): cache, locks and the task queue run on PostgreSQL' };
    const where = `${target.host}:${target.port}`;
    try {
      await tcpConnect({ host: target.host, port: target.port, timeoutMs: 1000 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return {
        status: 'fail',
        finding:
          code === 'ENOTFOUND'
            ? `REDIS_HOST=${target.host} does not resolve`
            : `nothing answers at ${where} (${target.from})`,
        fix: Object.keys(config.project.compose?.services ?? {}).includes(target.host)
          ? `"${target.host}" is a compose service name, only resolvable inside the compose network: run \`difyctl up redis\` (difyctl connects through 127.0.0.1), or set REDIS_HOST=127.0.0.1.`
          : `Start Redis (\`difyctl up redis\`), or fix REDIS_HOST/REDIS_PORT (now ${where}).`,
      };
    }
    const probe = await redisStrategy(target).check({ timeoutMs: 1500 });
    if (probe.ok) return { status: 'ok', finding: `PONG from ${where}` };
    if (probe.fatal && isDifyctlError(probe.fatal))
      return { status: 'fail', finding: probe.fatal.message, fix: probe.fatal.hint };
    return { status: 'fail', finding: `${where}: ${probe.reason}`, fix: '`difyctl logs redis -n 30` shows why.' };
  },
};
