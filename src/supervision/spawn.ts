import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { processStart, spawnDetached } from './process.js';
import { logPath } from './paths.js';

/** The CLI's launcher, next to dist/ (or src/ under vitest): what supervisors run. */
export const DIFYCTL_BIN = fileURLToPath(new URL('../../bin/difyctl.js', import.meta.url));

/**
 * Preloaded (`node --import`) into the node processes a supervisor runs: they stop gracefully when
 * their supervisor is gone (see exit-with-parent.ts). Compiled, next to the CLI the launcher runs.
 */
export const PARENT_PIPE_PRELOAD = pathToFileURL(
  path.join(path.dirname(DIFYCTL_BIN), '..', 'dist', 'supervision', 'exit-with-parent.js'),
).href;

/** The variable that asks the preload to watch stdin (removed before cluster workers fork). */
export const PARENT_PIPE_ENV = 'DIFYCTL_PARENT_PIPE';

/** A process this run spawned: its pid and start time (which tell it from a later user of the pid). */
export interface SpawnedProcess {
  pid: number;
  start?: number;
}

export interface DetachedSupervisorOptions {
  projectDir: string;
  /** api, worker, db: the run record is `.difyctl/run/<service>.json`, the log `.difyctl/logs/<service>.log`. */
  service: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  /** For `ps`. */
  port?: number;
  mode?: string;
  /** @default 'SIGTERM' */
  stopSignal?: NodeJS.Signals;
  stopTimeoutMs?: number;
  uid?: number;
  gid?: number;
  /** The process writes its log file itself (see SupervisorOptions.logDirect). */
  logDirect?: boolean;
}

/**
 * `difyctl __supervise …` in its own session: `restart: always` for one process that outlives this
 * difyctl (`up -d`, the embedded PostgreSQL). Its events go to `.difyctl/logs/supervisor.log`.
 */
export async function spawnSupervisor(options: DetachedSupervisorOptions): Promise<SpawnedProcess> {
  const flags = [
    '--service',
    options.service,
    ...(options.port ? ['--port', String(options.port)] : []),
    ...(options.mode ? ['--mode', options.mode] : []),
    ...(options.stopSignal ? ['--stop-signal', options.stopSignal] : []),
    ...(options.stopTimeoutMs ? ['--stop-timeout', String(options.stopTimeoutMs)] : []),
    ...(options.uid !== undefined ? ['--uid', String(options.uid)] : []),
    ...(options.gid !== undefined ? ['--gid', String(options.gid)] : []),
    ...(options.logDirect ? ['--log-direct'] : []),
  ];
  const pid = await spawnDetached({
    command: process.execPath,
    args: [DIFYCTL_BIN, '-C', options.projectDir, '__supervise', ...flags, options.command, ...options.args],
    logFile: logPath(options.projectDir, 'supervisor'),
    env: options.env,
    cwd: options.cwd ?? options.projectDir,
  });
  return { pid, start: await processStart(pid) };
}
