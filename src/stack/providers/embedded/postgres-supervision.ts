import type { DifyctlError } from '../../../errors/index.js';
import { systemClock, type Clock } from '../../../supervision/clock.js';
import { logPath } from '../../../supervision/paths.js';
import { readRunRecord, removeRunRecord, supervisorAlive, type RunRecord } from '../../../supervision/run-file.js';
import type { SpawnedProcess } from '../../../supervision/spawn.js';
import { embeddedPostgresDir, runningPostmaster } from './postmaster.js';
import { fileTail, sameProcess, stopProcess } from '../../../supervision/process.js';
import { embeddedStartFailed } from '../../errors.js';

/**
 * The embedded PostgreSQL runs under a detached supervisor (`restart: always`, as compose's `db`
 * service): kill -9 of the postmaster is followed by a restart with backoff. Its run record is
 * `.difyctl/run/db.json`; whoever stops the server stops that supervisor first, or it would start
 * the server again.
 */
export const DB_SERVICE = 'db';

/** The db supervisor's run record, when that very supervisor still runs. */
export async function liveDbSupervisor(projectDir: string): Promise<RunRecord | undefined> {
  const record = await readRunRecord(projectDir, DB_SERVICE);
  return record && (await supervisorAlive(record)) ? record : undefined;
}

/** The embedded db as `ps` shows it: the server, whether a supervisor keeps it, its restarts. */
export async function embeddedDbState(projectDir: string) {
  const running = await runningPostmaster(embeddedPostgresDir(projectDir));
  const record = await readRunRecord(projectDir, DB_SERVICE);
  const supervised = record !== undefined && (await supervisorAlive(record));
  // Between a crash and the restart the supervisor is in backoff: restarting, not stopped.
  const state = running ? 'running' : supervised ? 'restarting' : record?.state === 'gave-up' ? 'gave-up' : 'stopped';
  // Uptime counts from the last (re)start while a supervisor runs it.
  const since = running && supervised ? record?.runningSince : undefined;
  return { running, supervised, state, restarts: record?.restarts, since };
}

async function startFailed(projectDir: string, message: string): Promise<DifyctlError> {
  const tail = [
    ...(await fileTail(logPath(projectDir, 'supervisor'), 5)),
    ...(await fileTail(logPath(projectDir, DB_SERVICE), 20)),
  ];
  return embeddedStartFailed(message, {
    why: tail.map((l) => `    ${l}`).join('\n') || undefined,
    hint: `See ${logPath(projectDir, DB_SERVICE)} and .difyctl/logs/supervisor.log.`,
  });
}

/** Waits until the supervisor runs its postmaster and returns that pid; fails when it died or gave up. */
export async function waitForPostmaster(args: {
  projectDir: string;
  supervisor: SpawnedProcess;
  timeoutMs: number;
  clock?: Clock;
}): Promise<number> {
  const clock = args.clock ?? systemClock;
  const deadline = clock.now() + args.timeoutMs;
  for (;;) {
    const record = await readRunRecord(args.projectDir, DB_SERVICE);
    if (record?.supervisorPid === args.supervisor.pid) {
      if (record.state === 'running' && record.pid) return record.pid;
      if (record.state === 'gave-up')
        throw await startFailed(
          args.projectDir,
          `the embedded PostgreSQL crashed ${record.crashStreak} times in a row at start; difyctl gave up`,
        );
    }
    if (!(await sameProcess(args.supervisor.pid, args.supervisor.start)))
      throw await startFailed(
        args.projectDir,
        `the supervisor of the embedded PostgreSQL (pid ${args.supervisor.pid}) exited`,
      );
    if (clock.now() > deadline)
      throw await startFailed(
        args.projectDir,
        `the supervisor of the embedded PostgreSQL (pid ${args.supervisor.pid}) did not start it within ${Math.round(args.timeoutMs / 1000)} s`,
      );
    await clock.sleep(50);
  }
}

/**
 * Stops the embedded PostgreSQL for good: its supervisor first (which stops the server with SIGINT,
 * PostgreSQL's fast shutdown, and exits), then a server still running without one (started by an
 * older difyctl, or whose supervisor was killed).
 * @returns the pids stopped
 */
export async function stopEmbeddedPostgres(args: {
  projectDir: string;
  clock?: Clock;
}): Promise<{ postmaster?: number; supervisor?: number }> {
  const dataDir = embeddedPostgresDir(args.projectDir);
  const before = await runningPostmaster(dataDir);
  const supervisor = await liveDbSupervisor(args.projectDir);
  // Its server gets 60 s to shut down (the supervisor's stop timeout) before SIGKILL.
  if (supervisor)
    await stopProcess({ pid: supervisor.supervisorPid, signal: 'SIGTERM', timeoutMs: 90_000, clock: args.clock });
  const left = await runningPostmaster(dataDir);
  if (left) await stopProcess({ pid: left.pid, signal: 'SIGINT', clock: args.clock });
  await removeRunRecord(args.projectDir, DB_SERVICE);
  return { postmaster: before?.pid ?? left?.pid, supervisor: supervisor?.supervisorPid };
}
