import { rm } from 'node:fs/promises';
import { dockerClient } from './providers/docker/runtime.js';
import path from 'node:path';
import type { StackContext } from './context.js';
import { unconfirmedContainers, volumesRefusal } from './providers/docker/down-check.js';
import { dockerDown } from './providers/docker/down.js';
import { engineMismatch, engineUnreachable } from './providers/docker/project-engine.js';
import { DifyctlError } from '../errors/index.js';
import { embeddedPostgresDir } from './providers/embedded/postgres.js';
import { stopEmbeddedPostgres } from './providers/embedded/postgres-supervision.js';
import { stopProcess } from '../supervision/process.js';
import { embeddedRedisDir, runningRedis } from './providers/embedded/redis.js';
import { readState, writeState, type StackState } from './state.js';
import type { DependencyName } from './types.js';

export interface DownResult {
  /** What was stopped: container names, `embedded postgres (pid N)`. */
  stopped: string[];
  /** Data removed with --volumes. */
  removed: string[];
  /**
   * Containers left as they are: the engine that runs them does not answer (or the shell names
   * another). Their record and data stay; `warning` says which engine to reach.
   */
  kept: string[];
  warning?: string;
}

/**
 * `down --volumes` deletes data only of what it has confirmed stopped: refuses (DOCKER.UNREACHABLE
 * or DOCKER.ENGINE_MISMATCH, nothing touched) when a container `up` started cannot be reached.
 */
export async function checkDown(ctx: StackContext, options: { volumes: boolean; state?: StackState }): Promise<void> {
  if (!options.volumes) return;
  const state = options.state ?? (await readState(ctx.project.projectDir, ctx.project.projectName));
  const refusal = await volumesRefusal({ state, docker: await ctx.projectEngine() });
  if (refusal) throw refusal;
}

/**
 * Stops what this project started, found by labels (containers, network) and the state file
 * (embedded processes). External servers and other projects' containers are never touched;
 * data stays unless `volumes`, and only data inside the project dir is ever deleted.
 */
export async function stackDown(ctx: StackContext, options: { volumes: boolean }): Promise<DownResult> {
  const { projectDir, projectName } = ctx.project;
  const state = await readState(projectDir, projectName);
  await checkDown(ctx, { volumes: options.volumes, state });
  const result: DownResult = { stopped: [], removed: [], kept: [] };
  const dataDirs = new Set<string>();
  const docker = await ctx.projectEngine();
  const removedDeps: string[] = [];
  if (docker.engine) {
    const down = await dockerDown({
      docker: dockerClient(docker.engine),
      project: projectName,
      projectDir,
      volumes: options.volumes,
    });
    result.stopped.push(...down.containers.map((c) => c.name));
    result.removed.push(...down.volumes.map((v) => `volume ${v}`));
    for (const c of down.containers) if (c.dependency) removedDeps.push(c.dependency);
    for (const dir of down.bindSources) dataDirs.add(dir);
  }
  // Never forget a container not confirmed stopped: its record (and its data) stay.
  const kept = new Set<DependencyName>(await unconfirmedContainers({ state, docker, removed: removedDeps }));
  for (const [name, record] of Object.entries(state.services))
    if (record.provider === 'docker' && !kept.has(name as DependencyName))
      for (const dir of record.dataDirs ?? []) dataDirs.add(dir);
  for (const name of kept) for (const dir of state.services[name]?.dataDirs ?? []) dataDirs.delete(dir);
  if (kept.size) {
    result.kept = [...kept].map((name) => state.services[name]?.containerName ?? name);
    const args = {
      endpoint: docker.endpoint,
      containers: result.kept,
      doing: 'they were left as they are (and their record kept)',
    };
    const why =
      docker.engine && docker.recorded
        ? engineMismatch({ ...args, recorded: docker.recorded })
        : engineUnreachable({ ...args, recorded: docker.recorded });
    result.warning = `${why.message}. ${why.hint}`;
    ctx.report({ type: 'warning', message: result.warning });
  }

  // Its supervisor first (or it would start it again), then the server (SIGINT: fast shutdown).
  const db = await stopEmbeddedPostgres({ projectDir, clock: ctx.clock });
  if (db.postmaster || db.supervisor) {
    const detail = db.postmaster
      ? `embedded postgres (pid ${db.postmaster})`
      : `embedded postgres supervisor (pid ${db.supervisor})`;
    result.stopped.push(detail);
    ctx.report({ type: 'stopped', dependency: 'db', detail });
  }
  const redis =
    state.services.redis?.provider === 'embedded' ? await runningRedis(projectDir, state.services.redis) : undefined;
  if (redis) {
    await stopProcess({ pid: redis.pid, signal: 'SIGTERM', clock: ctx.clock });
    result.stopped.push(`embedded redis-server (pid ${redis.pid})`);
    ctx.report({ type: 'stopped', dependency: 'redis', detail: `embedded redis-server (pid ${redis.pid})` });
  }

  if (options.volumes) {
    dataDirs.add(embeddedPostgresDir(projectDir));
    dataDirs.add(embeddedRedisDir(projectDir));
    for (const dir of dataDirs) {
      const rel = path.relative(projectDir, dir);
      if (rel.startsWith('..') || path.isAbsolute(rel) || rel === '') continue;
      const existed = await rm(dir, { recursive: true }).then(
        () => true,
        () => false,
      );
      if (existed) result.removed.push(rel);
    }
  }
  state.services = Object.fromEntries([...kept].map((name) => [name, state.services[name]]));
  if (!kept.size) delete state.engine;
  delete state.stoppedServices;
  await writeState(projectDir, state).catch((error: unknown) => {
    // Everything recorded is stopped: a record that cannot be cleared (a full disk) is stale, not lost.
    if (!(error instanceof DifyctlError && error.code === 'FS.DISK_FULL')) throw error;
    const warning = `${error.message}: the stopped services stay listed in it (harmless: ps and up check each pid) [${error.code}]\n  fix: ${error.hint ?? ''}`;
    result.warning = result.warning ? `${result.warning}\n${warning}` : warning;
    ctx.report({ type: 'warning', message: warning });
  });
  return result;
}
