import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sameProcess } from './process.js';
import { stateDir } from './paths.js';

/** What a supervisor tells `ps`, `down` and `doctor` about its process; one file per service. */
export interface RunRecord {
  service: string;
  /** The supervisor's own pid (signal it to stop the service). */
  supervisorPid: number;
  /** Its start time (clock ticks since boot): tells it from a process that reused the pid. */
  supervisorStart?: number;
  /** The supervised process, while one runs. */
  pid?: number;
  /** The supervised process's start time, as `supervisorStart`. */
  pidStart?: number;
  /** running, backoff (waiting to restart), gave-up, stopped */
  state: 'starting' | 'running' | 'backoff' | 'gave-up' | 'stopped';
  restarts: number;
  /** Runs shorter than the minimum uptime in a row. */
  crashStreak: number;
  startedAt: string;
  /** When the current process started. */
  runningSince?: string;
  lastExit?: { code: number | null; signal: string | null; at: string };
  logFile: string;
  port?: number;
  mode?: string;
}

export const runDir = (projectDir: string) => path.join(stateDir(projectDir), 'run');
export const runFile = (projectDir: string, service: string) => path.join(runDir(projectDir), `${service}.json`);

export async function writeRunRecord(projectDir: string, record: RunRecord): Promise<void> {
  const file = runFile(projectDir, record.service);
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temp, file);
}

export async function readRunRecord(projectDir: string, service: string): Promise<RunRecord | undefined> {
  try {
    return JSON.parse(await readFile(runFile(projectDir, service), 'utf8')) as RunRecord; // written by writeRunRecord
  } catch {
    return undefined;
  }
}

export async function removeRunRecord(projectDir: string, service: string): Promise<void> {
  await rm(runFile(projectDir, service), { force: true });
}

/**
 * The recorded supervisor still runs — and is the same process, not one that got its pid after it
 * died (a reboot, a crash): only then may `down` signal it.
 */
export const supervisorAlive = (record: RunRecord) =>
  record.supervisorPid === process.pid || sameProcess(record.supervisorPid, record.supervisorStart);

/** The recorded service process still runs (same pid and start time). */
export const serviceProcessAlive = (record: RunRecord) => sameProcess(record.pid, record.pidStart);
