import { connectionRefused } from '../../../errors/index.js';
import { address, type StackContext, type Started } from '../../context.js';
import { dbConnection, redisConnection } from '../../dependencies.js';
import { postgresStrategy } from '../../ready/postgres.js';
import { redisStrategy } from '../../ready/redis.js';
import { isManagedRedis } from '../../ready/redis-managed.js';
import { attachManagedRedis } from './managed-redis.js';
import { tcpStrategy } from '../../ready/tcp.js';
import type { DependencySpec } from '../../types.js';

/**
 * A server that already runs at the configured address: start nothing, only wait. Nothing will
 * come up there by itself, so a refused connection or an unknown host fails at once.
 */
export async function attachExternal(ctx: StackContext, spec: DependencySpec): Promise<Started> {
  if (spec.name === 'redis' && isManagedRedis(ctx.settings)) return attachManagedRedis(ctx, spec);
  const target = { host: spec.host, port: spec.port };
  const probe = await tcpStrategy({ ...target, hostVar: spec.hostVar }).check({ timeoutMs: 3000 });
  if (!probe.ok) {
    if (probe.fatal) throw probe.fatal;
    throw connectionRefused(
      `nothing answers at ${address(target)} (${spec.hostVar}/${spec.portVar}): ${probe.reason}`,
      {
        hint: `Start the server at ${address(target)}, or fix ${spec.hostVar} / ${spec.portVar} in .env; without them difyctl can start one itself (--provider auto).`,
      },
    );
  }
  const connection = spec.name === 'db' ? dbConnection(ctx.settings, target) : redisConnection(ctx.settings, target);
  return {
    provider: 'external',
    connection,
    reused: true,
    created: false,
    record: { provider: 'external', host: target.host, port: target.port, since: new Date().toISOString() },
    strategy:
      spec.name === 'db'
        ? postgresStrategy(dbConnection(ctx.settings, target))
        : redisStrategy(redisConnection(ctx.settings, target)),
    logTail: async () => [],
  };
}
