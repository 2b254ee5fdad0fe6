import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { DifyctlError } from '../errors/index.js';
import { systemClock, type Clock } from './clock.js';
import { pidAlive } from './embedded/process.js';
import { stateDir } from './state.js';

export interface ProjectLock {
  release(): Promise<void>;
}

/**
 * One `up`/`down`/`db reset` at a time per project: a lock file created exclusively with the
 * holder's pid. A second caller waits (polling) and takes over a lock whose holder died.
 */
export async function acquireProjectLock(args: { projectDir: string; timeoutMs: number; clock?: Clock; onWait?: (holder: number) => void }): Promise<ProjectLock> {
  const clock = args.clock ?? systemClock;
  const file = path.join(stateDir(args.projectDir), 'lock');
  await mkdir(path.dirname(file), { recursive: true });
  const deadline = clock.now() + args.timeoutMs;
  let told = false;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return { release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(await readFile(file, 'utf8').catch(() => ''));
    if (!(await pidAlive(holder))) {
      // The holder died without releasing (or is writing its pid right now: then it is alive next round).
      if (holder > 0) await rm(file, { force: true });
      else await clock.sleep(50);
      continue;
    }
    if (!told) {
      args.onWait?.(holder);
      told = true;
    }
    if (clock.now() > deadline) {
      throw new DifyctlError('STACK.LOCKED', `another difyctl (pid ${holder}) is changing this project's stack`, {
        hint: `Wait for it to finish, or stop it. The lock is ${file}.`,
        exitCode: 3,
      });
    }
    await clock.sleep(100);
  }
}
