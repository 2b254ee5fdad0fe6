import { lookup as dnsLookup } from 'node:dns/promises';
import type { StackContext } from '../context.js';
import { engineMismatch, engineUnreachable, isRecordedEngine } from './docker/project-engine.js';
import { isLoopback } from '../dependencies.js';
import { runningPostmaster, embeddedPostgresDir } from './embedded/postgres.js';
import { runningRedis } from './embedded/redis.js';
import { tcpAnswers } from '../ready/tcp.js';
import type { DependencyRecord } from '../state.js';
import type { DependencySpec, ProviderChoice } from '../types.js';

export interface Choice {
  provider: 'docker' | 'embedded' | 'external';
  reason: string;
}

async function resolves(host: string): Promise<boolean> {
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref());
  return Promise.race([
    dnsLookup(host).then(
      () => true,
      () => false,
    ),
    timeout,
  ]);
}

/** Is what the previous run started still there? Then keep using it. */
async function previousStillThere(
  ctx: StackContext,
  spec: DependencySpec,
  record: DependencyRecord | undefined,
): Promise<Choice | undefined> {
  if (record?.provider === 'embedded') {
    const alive =
      spec.name === 'db'
        ? await runningPostmaster(embeddedPostgresDir(ctx.project.projectDir))
        : await runningRedis(ctx.project.projectDir, record);
    if (alive) return { provider: 'embedded', reason: 'started by a previous run and still running' };
  }
  if (record?.provider === 'docker' && record.containerName && spec.service) {
    const { engine, endpoint, recorded } = await ctx.projectEngine();
    // Not seen is not gone: a second server on the same data would damage it (issue 13, bug 1).
    const doing = `nothing was started for ${spec.name}`;
    if (!engine) throw engineUnreachable({ endpoint, recorded, containers: [record.containerName], doing });
    const exists =
      (await engine.inspectContainer(record.containerId ?? record.containerName).catch(() => undefined)) !== undefined;
    if (exists) return { provider: 'docker', reason: `container ${record.containerName} from a previous run` };
    if (recorded && !(await isRecordedEngine(engine, recorded)))
      throw engineMismatch({ endpoint, recorded, containers: [record.containerName], doing });
  }
  return undefined;
}

/**
 * SPEC §3 step 2, per dependency: what a previous run started; else external when the configured
 * address already answers (a compose service name only counts when it resolves, i.e. difyctl runs
 * inside that network); else docker when the compose file defines the service and an engine
 * answers; else embedded. A remote host (dotted name or address) that does not answer stays
 * external: it fails with the variable to fix rather than silently starting something local.
 */
export async function chooseProvider(args: {
  ctx: StackContext;
  spec: DependencySpec;
  forced: ProviderChoice;
  record?: DependencyRecord;
}): Promise<Choice> {
  const { ctx, spec, forced } = args;
  // A forced docker start checks the recorded container too (same data dir); embedded has its own.
  if (forced === 'docker' && args.record?.provider === 'docker') await previousStillThere(ctx, spec, args.record);
  if (forced !== 'auto') return { provider: forced, reason: '--provider' };
  // Sentinels or a cluster are somebody else's servers: REDIS_HOST is not where the api connects.
  if (spec.name === 'redis' && (ctx.settings.REDIS_USE_SENTINEL || ctx.settings.REDIS_USE_CLUSTERS)) {
    return {
      provider: 'external',
      reason: ctx.settings.REDIS_USE_SENTINEL
        ? 'REDIS_USE_SENTINEL: the sentinels name the master'
        : 'REDIS_USE_CLUSTERS: a Redis Cluster',
    };
  }
  const previous = await previousStillThere(ctx, spec, args.record);
  if (previous) return previous;
  const composeNames = new Set([
    ...Object.keys(ctx.project.compose?.services ?? {}),
    ...(ctx.project.compose?.inactive ?? []),
  ]);
  const isServiceName = composeNames.has(spec.host);
  if ((!isServiceName || (await resolves(spec.host))) && (await tcpAnswers({ host: spec.host, port: spec.port }))) {
    return { provider: 'external', reason: `${spec.host}:${spec.port} already answers` };
  }
  // A bare name that does not resolve (`db`, Dify's default, without a compose file) is a service
  // name too; a dotted name or an address that does not answer is somebody else's server.
  const local =
    isServiceName ||
    isLoopback(spec.host) ||
    (!spec.host.includes('.') && !spec.host.includes(':') && !(await resolves(spec.host)));
  if (!local)
    return { provider: 'external', reason: `${spec.hostVar}=${spec.host} names a server outside this project` };
  // Stopped since (`difyctl stop`, a crash): start it again on its data rather than switch providers.
  if (args.record?.provider === 'embedded')
    return { provider: 'embedded', reason: 'started by a previous run, stopped since: started again on its data' };
  if (spec.service && (await ctx.engine()))
    return { provider: 'docker', reason: `service ${spec.service} in the compose file, Docker engine answers` };
  return { provider: 'embedded', reason: spec.service ? 'no Docker engine answers' : 'no compose service for it' };
}
