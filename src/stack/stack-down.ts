import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { StackContext } from './context.js';
import { dockerDown } from './docker/down.js';
import { embeddedPostgresDir, runningPostmaster } from './embedded/postgres.js';
import { stopProcess } from './embedded/process.js';
import { embeddedRedisDir, runningRedis } from './embedded/redis.js';
import { readState, writeState } from './state.js';

export interface DownResult {
  /** What was stopped: container names, `embedded postgres (pid N)`. */
  stopped: string[];
  /** Data removed with --volumes. */
  removed: string[];
}

/**
 * Stops what this project started, found by labels (containers, network) and the state file
 * (embedded processes). External servers and other projects' containers are never touched;
 * data stays unless `volumes`, and only data inside the project dir is ever deleted.
 */
export async function stackDown(ctx: StackContext, options: { volumes: boolean }): Promise<DownResult> {
  const { projectDir, projectName } = ctx.project;
  const state = await readState(projectDir, projectName);
  const result: DownResult = { stopped: [], removed: [] };
  const dataDirs = new Set<string>();
  for (const record of Object.values(state.services)) if (record.provider === 'docker') for (const dir of record.dataDirs ?? []) dataDirs.add(dir);

  const engine = await ctx.engine();
  if (engine) {
    const docker = await dockerDown({ docker: engine.docker, project: projectName, projectDir, volumes: options.volumes });
    result.stopped.push(...docker.containers.map((c) => c.name));
    result.removed.push(...docker.volumes.map((v) => `volume ${v}`));
    for (const dir of docker.bindSources) dataDirs.add(dir);
  } else if (Object.values(state.services).some((r) => r.provider === 'docker')) {
    ctx.report({ type: 'warning', message: 'no Docker engine answers: containers of this project were left as they are' });
  }

  const postmaster = await runningPostmaster(embeddedPostgresDir(projectDir));
  if (postmaster) {
    // SIGINT = PostgreSQL's fast shutdown: clients are disconnected, data is flushed.
    await stopProcess({ pid: postmaster.pid, signal: 'SIGINT', clock: ctx.clock });
    result.stopped.push(`embedded postgres (pid ${postmaster.pid})`);
    ctx.report({ type: 'stopped', dependency: 'db', detail: `embedded postgres (pid ${postmaster.pid})` });
  }
  const redis = state.services.redis?.provider === 'embedded' ? await runningRedis(projectDir, state.services.redis) : undefined;
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
      const existed = await rm(dir, { recursive: true }).then(() => true, () => false);
      if (existed) result.removed.push(rel);
    }
  }
  state.services = {};
  await writeState(projectDir, state);
  return result;
}
