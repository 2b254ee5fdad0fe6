import { link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DifyctlError } from '../errors/index.js';
import { systemClock, type Clock } from './clock.js';
import { processStart, sameProcess } from './embedded/process.js';
import { stateDir } from './state.js';

export interface ProjectLock {
  release(): Promise<void>;
}

/** A takeover guard older than this was left by a process that died inside the takeover. */
const STALE_GUARD_MS = 10_000;

/** `<pid> <start ticks>`: the start time tells the holder from a process that reused its pid. */
const parseHolder = (text: string) => {
  const [pid, start] = text.trim().split(' ').map(Number);
  return { pid: pid || 0, start: start || undefined };
};

/** Creates `file` with `content` in one step (link of a complete temp file): never seen empty. */
async function createWith(file: string, content: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, content);
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Removes the lock of a dead holder — only that lock. The check and the removal run under a guard
 * file, so two waiters that both saw the holder dead cannot remove each other's fresh lock.
 */
async function removeStale(file: string, dead: string): Promise<boolean> {
  const guard = `${file}.takeover`;
  if (!(await createWith(guard, String(process.pid)))) {
    const age = Date.now() - ((await stat(guard).catch(() => undefined))?.mtimeMs ?? Date.now());
    if (age > STALE_GUARD_MS) await rm(guard, { force: true });
    return false;
  }
  try {
    if ((await readFile(file, 'utf8').catch(() => undefined)) === dead) await rm(file, { force: true });
    return true;
  } finally {
    await rm(guard, { force: true });
  }
}

/**
 * One `up`/`down`/`db reset` at a time per project: a lock file created atomically with the holder's
 * pid and start time. A second caller waits (polling) and takes over a lock whose holder died.
 */
export async function acquireProjectLock(args: { projectDir: string; timeoutMs: number; clock?: Clock; onWait?: (holder: number) => void }): Promise<ProjectLock> {
  const clock = args.clock ?? systemClock;
  const file = path.join(stateDir(args.projectDir), 'lock');
  await mkdir(path.dirname(file), { recursive: true });
  const mine = `${process.pid} ${(await processStart(process.pid)) ?? 0}`;
  const deadline = clock.now() + args.timeoutMs;
  let told = false;
  for (;;) {
    if (await createWith(file, mine)) {
      return {
        // Only our own lock: never one another process holds.
        release: async () => {
          if ((await readFile(file, 'utf8').catch(() => undefined)) === mine) await rm(file, { force: true });
        },
      };
    }
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // released just now
    const holder = parseHolder(text);
    if (holder.pid === 0 || !(await sameProcess(holder.pid, holder.start))) {
      // Another waiter is taking it over right now: look again in a moment.
      if (!(await removeStale(file, text))) await clock.sleep(50);
      continue;
    }
    if (!told) {
      args.onWait?.(holder.pid);
      told = true;
    }
    if (clock.now() > deadline) {
      throw new DifyctlError('STACK.LOCKED', `another difyctl (pid ${holder.pid}) is changing this project's stack`, {
        hint: `Wait for it to finish, or stop it. The lock is ${file}.`,
        exitCode: 3,
      });
    }
    await clock.sleep(100);
  }
}
