import { type DifyctlError, invariantBroken } from '../../errors/index.js';
import { systemClock, type Clock } from '../../supervision/clock.js';
import { fileTail, sameProcess } from '../../supervision/process.js';
import { httpStrategy } from '../ready/http.js';
import { notReady, type ReadinessStrategy } from '../ready/strategy.js';
import { waitUntilReady } from '../ready/wait.js';
import { logPath } from '../../supervision/paths.js';
import {
  readRunRecord,
  removeRunRecord,
  serviceProcessAlive,
  supervisorAlive,
  type RunRecord,
} from '../../supervision/run-file.js';
import {
  DIFYCTL_BIN,
  PARENT_PIPE_ENV,
  PARENT_PIPE_PRELOAD,
  spawnSupervisor,
  type SpawnedProcess,
} from '../../supervision/spawn.js';
import { Supervisor, type SupervisorEvent } from '../../supervision/supervisor.js';
import { serverCrashed } from '../errors.js';

export type ServiceName = 'api' | 'worker';
export { DIFYCTL_BIN, type SpawnedProcess };

export interface LaunchOptions {
  projectDir: string;
  services: ServiceName[];
  /** The resolved environment `serve` gets (service names already replaced by addresses). */
  env: Record<string, string | undefined>;
  /** A service's own environment when it differs (the worker's compose service). @default env */
  environmentFor?: (service: ServiceName) => Record<string, string | undefined>;
  /** DIFY_PORT, for the api's /health. */
  port: number;
  /** Detached supervisors that outlive this process (`up -d`), or supervisors in this process. */
  detach: boolean;
  timeoutMs: number;
  clock?: Clock;
  onEvent?: (event: SupervisorEvent | { type: 'waiting'; service: ServiceName; reason: string }) => void;
  /** In-process supervisors are added here as they start, so an interrupt can stop them mid-launch. */
  supervisors?: Supervisor[];
  /** Detached supervisors, added as they spawn (before they write their run record). */
  detached?: SpawnedProcess[];
  /** Ctrl-C: stop waiting (the caller stops the services). */
  signal?: AbortSignal;
}

export interface LaunchedService {
  service: ServiceName;
  record: RunRecord;
  url?: string;
}

export interface Launch {
  services: LaunchedService[];
  /** In-process supervisors (foreground mode): stop them on Ctrl-C. */
  supervisors: Supervisor[];
}

/** `serve` follows its supervisor down: the preload stops it when the supervisor's pipe closes. */
const serveArgs = (service: ServiceName) => ['--import', PARENT_PIPE_PRELOAD, DIFYCTL_BIN, 'serve', '--mode', service];

async function startSupervisor(options: LaunchOptions, service: ServiceName): Promise<Supervisor | undefined> {
  const record = { port: service === 'api' ? options.port : undefined, mode: service };
  const env = { ...(options.environmentFor?.(service) ?? options.env), [PARENT_PIPE_ENV]: 'stdin' };
  if (options.detach) {
    // Spawned whether or not the caller keeps the list (`?.push(await …)` would skip the spawn).
    const spawned = await spawnSupervisor({
      projectDir: options.projectDir,
      service,
      command: process.execPath,
      args: serveArgs(service),
      env,
      port: record.port,
      mode: service,
    });
    options.detached?.push(spawned);
    return undefined;
  }
  const supervisor = new Supervisor({
    service,
    command: process.execPath,
    args: serveArgs(service),
    env,
    cwd: options.projectDir,
    projectDir: options.projectDir,
    logFile: logPath(options.projectDir, service),
    record,
    clock: options.clock,
    onEvent: options.onEvent,
  });
  supervisor.start();
  return supervisor;
}

function gaveUp(service: ServiceName, record: RunRecord, tail: string[]): DifyctlError {
  return serverCrashed(
    `the ${service} process crashed ${record.crashStreak} times in a row at start; difyctl gave up`,
    {
      why: tail.length ? `last log lines:\n${tail.map((l) => `    ${l}`).join('\n')}` : undefined,
      hint: `Read \`difyctl logs ${service} -n 50\` and run \`difyctl doctor\`; a bad CUSTOM_MIDDLEWARE_MODULE or an invalid setting are the usual causes.`,
    },
  );
}

/**
 * The readiness of a supervised service, as a wait strategy: the api answers GET /health with 200;
 * the worker has run past its minimum uptime. Fatal at once when its supervisor gives up.
 */
function serviceStrategy(
  options: LaunchOptions,
  service: ServiceName,
  served: { record?: RunRecord },
): ReadinessStrategy {
  const clock = options.clock ?? systemClock;
  const health = httpStrategy({ url: `http://127.0.0.1:${options.port}/health` });
  return {
    name: `${service} serving`,
    async check() {
      const record = await readRunRecord(options.projectDir, service);
      served.record = record;
      if (record?.state === 'gave-up')
        return {
          ok: false,
          reason: 'its supervisor gave up',
          fatal: gaveUp(service, record, await fileTail(record.logFile, 30)),
        };
      if (record?.state !== 'running' || !record.pid) return notReady('not started');
      if (service === 'api') return health.check({ timeoutMs: 1000 });
      return clock.now() - Date.parse(record.runningSince ?? '') >= 1000 && (await serviceProcessAlive(record))
        ? { ok: true }
        : notReady('starting');
    },
  };
}

/** Waits until the service serves (waitUntilReady with serviceStrategy); its run record. */
async function waitServing(options: LaunchOptions, service: ServiceName, deadline: number): Promise<RunRecord> {
  const clock = options.clock ?? systemClock;
  const served: { record?: RunRecord } = {};
  await waitUntilReady({
    dependency: service,
    label: `the ${service}`,
    strategy: serviceStrategy(options, service, served),
    timeoutMs: Math.max(0, deadline - clock.now()),
    totalTimeoutMs: options.timeoutMs,
    clock,
    logTail: async () => (served.record ? fileTail(served.record.logFile, 30) : []),
    onWaiting: (reason) => options.onEvent?.({ type: 'waiting', service, reason }),
    signal: options.signal,
    hint: `Run \`difyctl doctor --only api.health\`; \`difyctl logs ${service}\` shows what it is doing.`,
  });
  if (!served.record) throw invariantBroken(`${service} served without a run record`);
  return served.record;
}

/** Spawns `difyctl serve` for each service under a supervisor and returns once each serves. */
export async function launchServices(options: LaunchOptions): Promise<Launch> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + options.timeoutMs;
  const supervisors: Supervisor[] = options.supervisors ?? [];
  const detached: SpawnedProcess[] = options.detached ?? [];
  // A supervisor of an earlier `up` that no longer serves (crash loop, backoff): stopped, not orphaned.
  await stopServices({ projectDir: options.projectDir, services: options.services });
  for (const service of options.services) {
    const supervisor = await startSupervisor(options, service);
    if (supervisor) supervisors.push(supervisor);
  }
  try {
    const services = await Promise.all(
      options.services.map(async (service) => ({
        service,
        record: await waitServing(options, service, deadline),
        url: service === 'api' ? `http://127.0.0.1:${options.port}` : undefined,
      })),
    );
    return { services, supervisors };
  } catch (error) {
    await stopServices({ projectDir: options.projectDir, services: options.services, supervisors, detached });
    throw error;
  }
}

/**
 * Stops supervised services (in-process supervisors, detached ones by their pid: those this run
 * spawned in `detached`, earlier ones from their run records); removes their run records.
 */
export async function stopServices(args: {
  projectDir: string;
  services: ServiceName[];
  supervisors?: Supervisor[];
  detached?: SpawnedProcess[];
  timeoutMs?: number;
}): Promise<ServiceName[]> {
  const { stopProcess } = await import('../../supervision/process.js');
  const stopped: ServiceName[] = [];
  await Promise.all((args.supervisors ?? []).map((s) => s.stop()));
  // Spawned by this very run: the pid is known to be ours while it runs `__supervise` here.
  await Promise.all(
    (args.detached ?? []).map(
      async ({ pid, start }) =>
        (await sameProcess(pid, start)) && stopProcess({ pid, signal: 'SIGTERM', timeoutMs: args.timeoutMs ?? 30_000 }),
    ),
  );
  for (const service of args.services) {
    const record = await readRunRecord(args.projectDir, service);
    if (!record) continue;
    // Only the very processes recorded: a pid reused since (after a reboot, a crash) is someone else's.
    if (record.supervisorPid !== process.pid && (await supervisorAlive(record))) {
      await stopProcess({ pid: record.supervisorPid, signal: 'SIGTERM', timeoutMs: args.timeoutMs ?? 30_000 });
    }
    if (record.pid && (await serviceProcessAlive(record)))
      await stopProcess({ pid: record.pid, signal: 'SIGTERM', timeoutMs: args.timeoutMs ?? 30_000 });
    await removeRunRecord(args.projectDir, service);
    stopped.push(service);
  }
  return stopped;
}
