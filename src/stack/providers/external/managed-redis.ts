import { connectionRefused } from '../../../errors/index.js';
import { parseNodes } from '../../../config/redis-target.js';
import type { StackContext, Started } from '../../context.js';
import { redisConnection } from '../../dependencies.js';
import { managedRedisStrategy, managedRedisVars } from '../../ready/redis-managed.js';
import type { DependencySpec } from '../../types.js';

/**
 * A managed Redis (sentinels, a cluster, or TLS): attached through the api's own kind of client
 * instead of a plain-text probe of REDIS_HOST. The address recorded (what `ps` checks) is the
 * first sentinel or cluster node, or REDIS_HOST/REDIS_PORT for a TLS server.
 */
export async function attachManagedRedis(ctx: StackContext, spec: DependencySpec): Promise<Started> {
  const s = ctx.settings;
  const nodes = s.REDIS_USE_SENTINEL
    ? parseNodes('REDIS_SENTINELS', s.REDIS_SENTINELS)
    : s.REDIS_USE_CLUSTERS
      ? parseNodes('REDIS_CLUSTERS', s.REDIS_CLUSTERS)
      : [{ host: spec.host, port: spec.port }];
  const target = nodes[0] as { host: string; port: number }; // parseNodes refuses an empty list
  const strategy = managedRedisStrategy(s);
  const probe = await strategy.check({ timeoutMs: 3000 });
  if (!probe.ok) {
    if (probe.fatal) throw probe.fatal;
    const { where } = managedRedisVars(s);
    throw connectionRefused(`Redis does not answer through ${where}: ${probe.reason}`, {
      hint: `Start it, or fix ${where} in .env.`,
    });
  }
  return {
    provider: 'external',
    connection: redisConnection(s, target),
    reused: true,
    created: false,
    record: { provider: 'external', host: target.host, port: target.port, since: new Date().toISOString() },
    strategy,
    logTail: async () => [],
  };
}
