import { lstat, mkdir, readFile, readlink, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { type DifyctlError, diskFullError, isDiskFull } from '../errors/index.js';
import { systemClock, type Clock } from './clock.js';
import { processStart, sameProcess } from './process.js';
import { stateDir } from './paths.js';
import { stackLocked } from './errors.js';

export interface ProjectLock {
  release(): Promise<void>;
  /**
   * Set when the lock could not be written (a full disk) and the caller asked to go on without it
   * (`down`, which must always be able to stop the stack): what to tell the user.
   */
  unwritten?: DifyctlError;
}

/** A takeover guard older than this was left by a process that died inside the takeover. */
const STALE_GUARD_MS = 10_000;

/** `<pid> <start ticks>`: the start time tells the holder from a process that reused its pid. */
const parseHolder = (text: string) => {
  const [pid, start] = text.trim().split(' ').map(Number);
  return { pid: pid || 0, start: start || undefined };
};

/**
 * Creates `file` holding `content` in one step: a symlink whose target is the content. It is never
 * seen empty, and a short symlink lives in its inode (ext4 fast symlinks, tmpfs short symlinks), so
 * taking the lock needs no free data block: it works on a full disk.
 */
async function createWith(file: string, content: string): Promise<boolean> {
  try {
    await symlink(content, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The lock's content: the symlink's target, or the text of a regular file (older difyctl, tests). */
async function readLock(file: string): Promise<string | undefined> {
  try {
    return await readlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') return undefined; // absent: released
    return readFile(file, 'utf8').catch(() => undefined);
  }
}

/**
 * Removes the lock of a dead holder — only that lock. The check and the removal run under a guard
 * file, so two waiters that both saw the holder dead cannot remove each other's fresh lock.
 */
async function removeStale(file: string, dead: string): Promise<boolean> {
  const guard = `${file}.takeover`;
  if (!(await createWith(guard, String(process.pid)))) {
    const age = Date.now() - ((await lstat(guard).catch(() => undefined))?.mtimeMs ?? Date.now());
    if (age > STALE_GUARD_MS) await rm(guard, { force: true });
    return false;
  }
  try {
    if ((await readLock(file)) === dead) await rm(file, { force: true });
    return true;
  } finally {
    await rm(guard, { force: true });
  }
}

/**
 * One `up`/`down`/`db reset` at a time per project: a lock file created atomically with the holder's
 * pid and start time. A second caller waits (polling) and takes over a lock whose holder died.
 * A full disk is FS.DISK_FULL — unless `withoutLockOnFullDisk`: then, when no live difyctl holds
 * the lock, the caller goes on without one (`unwritten` says why).
 */
export async function acquireProjectLock(args: {
  projectDir: string;
  timeoutMs: number;
  clock?: Clock;
  onWait?: (holder: number) => void;
  withoutLockOnFullDisk?: boolean;
}): Promise<ProjectLock> {
  const clock = args.clock ?? systemClock;
  const file = path.join(stateDir(args.projectDir), 'lock');
  const mine = `${process.pid} ${(await processStart(process.pid)) ?? 0}`;
  const deadline = clock.now() + args.timeoutMs;
  let told = false;
  /** On a full disk, when allowed and nobody alive holds the lock: go on without one. */
  const withoutLock = async (error: unknown): Promise<ProjectLock> => {
    if (!isDiskFull(error)) throw error;
    const unwritten = diskFullError(file, error, 'taking the project lock');
    if (!args.withoutLockOnFullDisk) throw unwritten;
    return { release: async () => undefined, unwritten };
  };
  for (;;) {
    try {
      await mkdir(path.dirname(file), { recursive: true });
      if (await createWith(file, mine)) {
        return {
          // Only our own lock: never one another process holds.
          release: async () => {
            if ((await readLock(file)) === mine) await rm(file, { force: true });
          },
        };
      }
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      // A live holder's lock still stands (it can be read): wait for it below.
      const text = await readLock(file);
      const holder = text === undefined ? undefined : parseHolder(text);
      if (!holder?.pid || !(await sameProcess(holder.pid, holder.start))) return withoutLock(error);
    }
    const text = await readLock(file);
    if (text === undefined) continue; // released just now
    const holder = parseHolder(text);
    if (holder.pid === 0 || !(await sameProcess(holder.pid, holder.start))) {
      // Another waiter is taking it over right now: look again in a moment.
      const removed = await removeStale(file, text).catch(async (error: unknown) => withoutLock(error));
      if (typeof removed === 'object') return removed;
      if (!removed) await clock.sleep(50);
      continue;
    }
    if (!told) {
      args.onWait?.(holder.pid);
      told = true;
    }
    if (clock.now() > deadline) {
      throw stackLocked(`another difyctl (pid ${holder.pid}) is changing this project's stack`, {
        hint: `Wait for it to finish, or stop it. The lock is ${file}.`,
        exitCode: 3,
      });
    }
    await clock.sleep(100);
  }
}
