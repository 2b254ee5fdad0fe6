import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { diskFullError, isDiskFull } from '../errors/index.js';
import { logPath, stateDir } from '../supervision/paths.js';
import type { RecordedEngine } from './providers/docker/engine.js';
import type { DependencyName, ProviderName } from './types.js';

/** What this project started (or attached to), kept in `.difyctl/state.json`. */
export interface DependencyRecord {
  provider: ProviderName;
  host?: string;
  port?: number;
  /** docker */
  containerId?: string;
  containerName?: string;
  image?: string;
  /** embedded */
  pid?: number;
  logFile?: string;
  /** Where the data lives (embedded data dir, docker bind mounts inside the project). */
  dataDirs?: string[];
  /** ISO time this run started it or attached. */
  since: string;
}

export interface StackState {
  version: 1;
  project: string;
  /** db, redis now; api and worker records later. */
  services: Partial<Record<DependencyName, DependencyRecord>>;
  /** The Docker engine `up` started this project's containers on (while any docker record exists). */
  engine?: RecordedEngine;
  /** api/worker that ran when `difyctl stop` stopped the stack: what `difyctl start` runs again. */
  stoppedServices?: Array<'api' | 'worker'>;
}

export { stateDir, logPath };
export const statePath = (projectDir: string) => path.join(stateDir(projectDir), 'state.json');

export async function readState(projectDir: string, project: string): Promise<StackState> {
  try {
    const parsed = JSON.parse(await readFile(statePath(projectDir), 'utf8')) as Partial<StackState>; // our own file; shape checked below
    if (parsed.version === 1 && typeof parsed.services === 'object' && parsed.services) {
      // Fields of later versions of this file (and of other parts of difyctl) are kept as they are.
      return { ...parsed, version: 1, project: parsed.project ?? project, services: parsed.services };
    }
  } catch {
    // absent or unreadable: nothing started yet
  }
  return { version: 1, project, services: {} };
}

/** Atomic: write a temp file next to it, then rename over it (readers never see half a file). */
export async function writeState(projectDir: string, state: StackState): Promise<void> {
  const file = statePath(projectDir);
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, file);
  } catch (error) {
    // The old file stays whole; a half-written temp file would only take more of a full disk.
    await rm(temp, { force: true });
    throw isDiskFull(error) ? diskFullError(file, error, `updating ${file}`) : error;
  }
}

/** Read, change, write: one record at a time. */
export async function updateState({
  projectDir,
  project,
  change,
}: {
  projectDir: string;
  project: string;
  change: (state: StackState) => void;
}): Promise<StackState> {
  const state = await readState(projectDir, project);
  change(state);
  await writeState(projectDir, state);
  return state;
}
