import type { ProjectOptions } from '../config/project.js';
import { dockerClient } from './providers/docker/runtime.js';
import { loadProject } from '../config/project.js';
import {
  dockerRecords,
  engineMismatch,
  engineUnreachable,
  isRecordedEngine,
  projectEngine,
} from './providers/docker/project-engine.js';
import { stopEmbeddedPostgres } from './providers/embedded/postgres-supervision.js';
import { stopProcess } from '../supervision/process.js';
import { runningRedis } from './providers/embedded/redis.js';
import { acquireProjectLock } from '../supervision/project-lock.js';
import type { ServiceName } from './launch/launch.js';
import { readState, updateState, type StackState } from './state.js';
import { readRunRecord } from '../supervision/run-file.js';
import { DEPENDENCIES, type Reporter, type ResolvedDependency } from './types.js';
import type { UpResult } from './up.js';
import { stackNotCreated } from './errors.js';

export interface StopOptions extends ProjectOptions {
  /** Seconds each container gets to stop before it is killed, as `docker compose stop -t`. @default 10 */
  stopTimeoutS?: number;
}

export interface StartOptions extends ProjectOptions {
  report?: Reporter;
  /** @default 120_000 */
  timeoutMs?: number;
}

export interface StartResult {
  dependencies: ResolvedDependency[];
  /** api/worker started again (those `stop` stopped). */
  services: ServiceName[];
  /** The full `up` result when api/worker were started. */
  up?: UpResult;
}

/**
 * compose's `start` starts the existing containers as they are: the requests go to the engine first,
 * so the containers boot while difyctl reads and checks the configuration. Never throws: the usual
 * `up` path that follows finds them running, waits for their logins and reports any problem.
 */
async function bootRecordedContainers(state: StackState, env: NodeJS.ProcessEnv): Promise<void> {
  const names = dockerRecords(state);
  if (!names.length) return;
  const { engine } = await projectEngine({ env, state });
  await Promise.all(
    names.map(
      (name) =>
        state.services[name]?.containerId &&
        engine?.startContainer(state.services[name].containerId).catch(() => undefined),
    ),
  );
}

/** The containers `stop` can reach: on the engine `up` used, or refused with the engine to reach. */
async function reachableContainers(state: StackState, env: NodeJS.ProcessEnv) {
  const names = dockerRecords(state);
  if (!names.length) return [];
  const { engine, endpoint, recorded } = await projectEngine({ env, state });
  const containers = names.map((n) => state.services[n]?.containerName ?? n);
  if (!engine) throw engineUnreachable({ endpoint, recorded, containers, doing: 'nothing was stopped' });
  const found = [];
  for (const name of names) {
    const record = state.services[name];
    const container = dockerClient(engine).getContainer(record?.containerId ?? record?.containerName ?? name);
    const info = await container.inspect().catch(() => undefined);
    if (info) found.push({ label: info.Name.replace(/^\//, ''), container, running: info.State.Running });
    else if (recorded && !(await isRecordedEngine(engine, recorded)))
      throw engineMismatch({ endpoint, recorded, containers, doing: 'nothing was stopped' });
  }
  return found;
}

/**
 * `difyctl stop` (compose's `stop`): stops api/worker, the db/redis containers and embedded servers,
 * and keeps all of them — containers, data, records — so `start` (or `up`) resumes them quickly.
 */
export async function stopStack(options: StopOptions): Promise<{ stopped: string[] }> {
  // The project is enough (no settings to validate): stop works on a broken configuration, and quickly.
  const { projectDir, projectName, env } = loadProject(options);
  const lock = await acquireProjectLock({ projectDir, timeoutMs: 60_000 });
  try {
    const state = await readState(projectDir, projectName);
    // Checked before anything stops: containers it cannot reach are refused, not assumed stopped.
    const containers = await reachableContainers(state, options.env ?? env);
    // The process launcher (and its process library) loads only when api/worker ran: stop stays quick.
    const ran = (await Promise.all(['api', 'worker'].map((s) => readRunRecord(projectDir, s)))).some(Boolean);
    const services = ran
      ? await (await import('./launch/launch.js')).stopServices({ projectDir, services: ['api', 'worker'] })
      : [];
    const stopped: string[] = [...services];
    await Promise.all(
      containers
        .filter((c) => c.running)
        .map(async (c) => {
          await c.container.stop({ t: options.stopTimeoutS ?? 10 });
          stopped.push(`${c.label} (container kept)`);
        }),
    );
    // The embedded db with its supervisor, which would start it again (it stops it with SIGINT: fast shutdown).
    const db = state.services.db?.provider === 'embedded' ? await stopEmbeddedPostgres({ projectDir }) : undefined;
    if (db?.postmaster) stopped.push(`embedded db (pid ${db.postmaster})`);
    const redis =
      state.services.redis?.provider === 'embedded' ? await runningRedis(projectDir, state.services.redis) : undefined;
    if (redis) {
      await stopProcess({ pid: redis.pid, signal: 'SIGTERM' });
      stopped.push(`embedded redis (pid ${redis.pid})`);
    }
    if (services.length)
      await updateState({ projectDir, project: projectName, change: (s) => void (s.stoppedServices = services) });
    return { stopped };
  } finally {
    await lock.release();
  }
}

/**
 * `difyctl start` (compose's `start`): starts again what `stop` stopped — the same containers and
 * embedded servers on their data, then api/worker if they ran — once each really serves.
 */
export async function startStack(options: StartOptions): Promise<StartResult> {
  const project = loadProject(options);
  const { projectDir, projectName } = project;
  const state = await readState(projectDir, projectName);
  const names = DEPENDENCIES.filter((n) => state.services[n]);
  const services = state.stoppedServices ?? [];
  if (!names.length && !services.length) {
    throw stackNotCreated('nothing to start: `up` has not created this stack here, or `down` removed it', {
      hint: 'Run `difyctl up` (or `difyctl up db redis`).',
    });
  }
  const booting = bootRecordedContainers(state, options.env ?? project.env);
  if (services.length) {
    await booting;
    const { upStack } = await import('./up.js');
    const up = await upStack({ ...options, mode: services.length === 2 ? 'all' : services[0], detach: true });
    await updateState({ projectDir, project: projectName, change: (s) => void delete s.stoppedServices });
    return { dependencies: up.dependencies, services: up.alreadyRunning ? [] : services, up };
  }
  const [{ resolveConfig }, { createStack, DEFAULT_TIMEOUT_MS }] = await Promise.all([
    import('../config/resolve.js'),
    import('./stack.js'),
    booting,
  ]);
  const config = resolveConfig(project, { mode: 'api' });
  const lock = await acquireProjectLock({ projectDir, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  try {
    const stack = createStack({ config, timeoutMs: options.timeoutMs, report: options.report, env: options.env });
    return { dependencies: await stack.up(names), services: [] };
  } finally {
    await lock.release();
  }
}
