import type { RedisOptions } from 'ioredis';
import { parseNodes, redisTlsOptions } from '../../config/redis-target.js';
import { managedRedisStrategy } from '../../stack/ready/redis-managed.js';
import { SETTINGS_DO_NOT_PARSE, type Check, type CheckResult } from '../types.js';

/** One command on a short-lived connection that gives up at once (no retries, no offline queue). */
export async function ask(options: RedisOptions, timeoutMs: number, ...args: string[]): Promise<unknown> {
  const { Redis } = await import('ioredis');
  const client = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(args[0] as string, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * REDIS_USE_SENTINEL: every sentinel of REDIS_SENTINELS answers and names the same master for
 * REDIS_SENTINEL_SERVICE_NAME, and that master answers PING (through the api's own client).
 */
export const redisSentinelCheck: Check = {
  id: 'redis.sentinel',
  title: 'Redis Sentinel',
  applies: (config) => config.typed?.REDIS_USE_SENTINEL === true,
  run: async ({ config }): Promise<CheckResult> => {
    const s = config.typed;
    if (!s) return SETTINGS_DO_NOT_PARSE;
    const name = s.REDIS_SENTINEL_SERVICE_NAME ?? '';
    const sentinels = parseNodes('REDIS_SENTINELS', s.REDIS_SENTINELS);
    const timeoutMs = Math.max(500, Math.round(s.REDIS_SENTINEL_SOCKET_TIMEOUT * 1000));
    const answers = await Promise.all(
      sentinels.map(async ({ host, port }) => {
        const where = `${host}:${port}`;
        const auth = { host, port, username: s.REDIS_SENTINEL_USERNAME, password: s.REDIS_SENTINEL_PASSWORD };
        try {
          const addr = await ask(auth, timeoutMs, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name);
          if (!Array.isArray(addr)) return { where, error: `does not monitor a master named "${name}"` };
          return { where, master: `${String(addr[0])}:${String(addr[1])}` };
        } catch (error) {
          return { where, error: reason(error) };
        }
      }),
    );
    const details = answers.map((a) => `${a.where}: ${a.master ? `master ${a.master}` : a.error}`);
    const masters = [...new Set(answers.flatMap((a) => (a.master ? [a.master] : [])))];
    const down = answers.filter((a) => a.error);
    if (masters.length === 0)
      return {
        status: 'fail',
        finding: `no sentinel of REDIS_SENTINELS names a master "${name}" (${down.map((a) => `${a.where}: ${a.error}`).join('; ')})`,
        fix: 'Check REDIS_SENTINELS (host:port of each sentinel), REDIS_SENTINEL_SERVICE_NAME (the monitored name) and REDIS_SENTINEL_PASSWORD.',
        details,
      };
    if (masters.length > 1)
      return {
        status: 'fail',
        finding: `the sentinels disagree on the master of "${name}": ${masters.join(' vs ')}`,
        fix: 'A failover is under way or the sentinels are split: `redis-cli -p <port> SENTINEL masters` on each; they must monitor the same master with a quorum.',
        details,
      };
    const probe = await managedRedisStrategy(s).check({ timeoutMs: 1500 });
    if (!probe.ok)
      return { status: 'fail', finding: `master ${masters[0]}: ${probe.reason}`, fix: probe.fatal?.hint, details };
    const agreeing = `${answers.length - down.length} of ${answers.length} sentinels agree on master ${masters[0]}, which answers PING`;
    if (down.length > 0)
      return {
        status: 'warn',
        finding: `${agreeing}; ${down.map((a) => `${a.where}: ${a.error}`).join('; ')}`,
        fix: 'Bring the unreachable sentinels back (a failover needs a majority of them), or remove them from REDIS_SENTINELS.',
        details,
      };
    return { status: 'ok', finding: agreeing, details };
  },
};

const CLUSTER_SLOTS = 16384;

/** REDIS_USE_CLUSTERS: every node of REDIS_CLUSTERS reports cluster_state:ok and all 16384 slots assigned and ok. */
export const redisClusterCheck: Check = {
  id: 'redis.cluster',
  title: 'Redis Cluster',
  applies: (config) => config.typed?.REDIS_USE_CLUSTERS === true,
  run: async ({ config }): Promise<CheckResult> => {
    const s = config.typed;
    if (!s) return SETTINGS_DO_NOT_PARSE;
    const nodes = parseNodes('REDIS_CLUSTERS', s.REDIS_CLUSTERS);
    const tls = s.REDIS_USE_SSL ? redisTlsOptions(s) : undefined;
    const reports = await Promise.all(
      nodes.map(async ({ host, port }) => {
        const where = `${host}:${port}`;
        try {
          const info = String(
            await ask({ host, port, password: s.REDIS_CLUSTERS_PASSWORD, tls }, 1500, 'CLUSTER', 'INFO'),
          );
          const field = (key: string) => new RegExp(`^${key}:(\\S+)`, 'm').exec(info)?.[1];
          const state = field('cluster_state') ?? '?';
          const assigned = Number(field('cluster_slots_assigned'));
          const ok = Number(field('cluster_slots_ok'));
          const problems = [
            state !== 'ok' ? `cluster_state:${state}` : '',
            assigned < CLUSTER_SLOTS ? `${CLUSTER_SLOTS - assigned} slots unassigned` : '',
            ok < assigned ? `${assigned - ok} slots failing` : '',
          ].filter(Boolean);
          return { where, problem: problems.join(', '), nodes: field('cluster_known_nodes') };
        } catch (error) {
          return { where, problem: `unreachable: ${reason(error)}` };
        }
      }),
    );
    const details = reports.map((r) => `${r.where}: ${r.problem || `cluster_state:ok, ${r.nodes} known nodes`}`);
    const bad = reports.filter((r) => r.problem);
    if (bad.length === reports.length)
      return {
        status: 'fail',
        finding: bad.map((r) => `${r.where}: ${r.problem}`).join('; '),
        fix: bad.some((r) => r.problem.startsWith('unreachable'))
          ? 'Check REDIS_CLUSTERS (host:port of the nodes) and REDIS_CLUSTERS_PASSWORD.'
          : 'Assign every slot (`redis-cli --cluster fix <node>`) and bring failed masters back or fail them over.',
        details,
      };
    if (bad.length > 0)
      return {
        status: bad.some((r) => !r.problem.startsWith('unreachable')) ? 'fail' : 'warn',
        finding: bad.map((r) => `${r.where}: ${r.problem}`).join('; '),
        fix: 'A node of REDIS_CLUSTERS does not see a healthy cluster: `redis-cli -c -h <host> -p <port> CLUSTER INFO` on it.',
        details,
      };
    return {
      status: 'ok',
      finding: `cluster_state:ok on all ${reports.length} nodes of REDIS_CLUSTERS, all ${CLUSTER_SLOTS} slots covered`,
      details,
    };
  },
};
