import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { access, mkdir, open, readFile, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { systemClock, type Clock } from './clock.js';

export interface DetachedSpawn {
  command: string;
  args: string[];
  /** stdout and stderr are appended here. */
  logFile: string;
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Starts a process in its own session with output to a log file, and lets it go: it keeps running
 * after difyctl exits (`down` stops it by the pid kept in the state file).
 */
export async function spawnDetached(options: DetachedSpawn): Promise<number> {
  await mkdir(path.dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(options.command, options.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      uid: options.uid,
      gid: options.gid,
      env: options.env,
      cwd: options.cwd,
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid ?? -1));
    });
    child.unref();
    return pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * The fields of a /proc/<pid>/stat line from the third (the state) on. The command name before them
 * may hold spaces and parentheses: they start after the last ')'.
 */
export const statFields = (stat: string): string[] => stat.slice(stat.lastIndexOf(')') + 2).split(' ');

/**
 * The stat line of a process that has exited: a zombie (Z), or dead (X; x before Linux 3.14), the
 * state it has for a moment while its parent reaps it.
 */
export const exitedStat = (stat: string): boolean => /^[ZXx]$/.test(statFields(stat)[0] ?? '');

/** True when the pid runs (a zombie, exited but not yet reaped, counts as gone). */
export async function pidAlive(pid: number | undefined): Promise<boolean> {
  if (!pid || pid <= 0 || !signalable(pid)) return false;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // No stat: reaped while it was read (a zombie of ours goes at any turn of the event loop), or no
  // /proc at all. Asked again, the pid tells which.
  if (stat === undefined) return signalable(pid);
  return !exitedStat(stat);
}

/** kill(pid, 0): the pid exists (EPERM: it does, but is not ours to signal). */
function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The process's command line contains the marker (a pid may have been reused by another program);
 * with `cwd`, it also runs in that directory — postgres and redis-server chdir to their data dir, so
 * another project's server that got the same pid after a reboot is not taken for ours.
 */
export async function pidRuns(pid: number | undefined, marker: string, cwd?: string): Promise<boolean> {
  if (!(await pidAlive(pid))) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (cmdline === undefined) return true; // no /proc to tell: trust the pid
  if (!cmdline.split('\0').join(' ').includes(marker)) return false;
  if (cwd === undefined) return true;
  // Unreadable (another user's process, no /proc): it is not ours to signal either.
  const actual = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  const expected = await realpath(cwd).catch(() => cwd);
  return actual === expected;
}

/**
 * When the process started, in clock ticks since boot (/proc/<pid>/stat field 22): with the pid, it
 * names one process for good — a pid reused after the process died (or after a reboot) has another.
 */
export async function processStart(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const start = Number(statFields(stat)[19]);
  return Number.isFinite(start) && start > 0 ? start : undefined;
}

/** The process we recorded still runs: same pid and, when recorded, same start time. */
export async function sameProcess(pid: number | undefined, start: number | undefined): Promise<boolean> {
  if (!(await pidAlive(pid))) return false;
  if (start === undefined || pid === undefined) return true;
  const now = await processStart(pid);
  return now === undefined || now === start;
}

/** Signals the process and waits for it to go; SIGKILL after the timeout. */
export async function stopProcess(args: {
  pid: number;
  signal: NodeJS.Signals;
  timeoutMs?: number;
  clock?: Clock;
}): Promise<void> {
  const clock = args.clock ?? systemClock;
  const deadline = clock.now() + (args.timeoutMs ?? 30_000);
  try {
    process.kill(args.pid, args.signal);
  } catch {
    return;
  }
  while (await pidAlive(args.pid)) {
    if (clock.now() > deadline) {
      try {
        process.kill(args.pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await clock.sleep(50);
  }
}

/** The bytes `from`–`to` of a file, as text. */
export async function readRange(file: string, from: number, to: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(to - from);
    await handle.read(buffer, 0, buffer.length, from);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/** The last lines of a log file (none when it does not exist). */
export async function fileTail(file: string, lines = 30): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-lines);
}

/** The executable named `name` on PATH, like `which`. */
export async function findOnPath(name: string, envPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
