import { spawn } from 'node:child_process';
import { mkdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { dataBindSources } from '../../src/stack/providers/docker/down.js';
import { pidRuns, processStart, sameProcess } from '../../src/supervision/process.js';
import { embeddedRedisDir, runningRedis } from '../../src/stack/providers/embedded/redis.js';
import { acquireProjectLock } from '../../src/supervision/project-lock.js';
import { stopServices } from '../../src/stack/launch/launch.js';
import { readRunRecord, writeRunRecord } from '../../src/supervision/run-file.js';
import { tempDir } from '../helpers/cli.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function project() {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  await mkdir(path.join(dir, '.difyctl'), { recursive: true });
  return dir;
}

/** A live process that is not difyctl's: what a recorded pid may point at after a reboot. */
async function bystander(cwd: string, args = ['-e', 'setInterval(() => {}, 1000)']): Promise<number> {
  const child = spawn(process.execPath, args, { cwd, stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  cleanups.push(async () => void child.kill('SIGKILL'));
  return child.pid ?? -1;
}

describe('project lock', () => {
  it('takes over a lock whose pid now belongs to another process (pid reused)', async () => {
    const dir = await project();
    const other = await bystander(dir);
    const start = (await processStart(other)) ?? 0;
    // The holder had this pid, but started at another time: it is dead, the pid was reused.
    await writeFile(path.join(dir, '.difyctl', 'lock'), `${other} ${start + 1}`);
    const lock = await acquireProjectLock({ projectDir: dir, timeoutMs: 2000 });
    // The lock is a symlink whose target is the holder (no data block: it works on a full disk).
    expect(await readlink(path.join(dir, '.difyctl', 'lock'))).toMatch(new RegExp(`^${process.pid} `));
    await lock.release();
  });

  it('waits for a live holder and names it', async () => {
    const dir = await project();
    const other = await bystander(dir);
    await writeFile(path.join(dir, '.difyctl', 'lock'), `${other} ${(await processStart(other)) ?? 0}`);
    await expect(acquireProjectLock({ projectDir: dir, timeoutMs: 300 })).rejects.toMatchObject({
      code: 'STACK.LOCKED',
      message: expect.stringContaining(`pid ${other}`),
    });
  });

  it("gives a dead holder's lock to one waiter at a time, and release never removes another's lock", async () => {
    const dir = await project();
    const file = path.join(dir, '.difyctl', 'lock');
    let most = 0;
    // A few rounds: the takeover race (two waiters both removing the dead lock) is a matter of timing.
    for (let round = 0; round < 5; round++) {
      await writeFile(file, '999999999 1'); // a pid that cannot run
      let holders = 0;
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          const lock = await acquireProjectLock({ projectDir: dir, timeoutMs: 10_000 });
          most = Math.max(most, ++holders);
          await new Promise((r) => setTimeout(r, 20));
          holders--;
          await lock.release();
        }),
      );
    }
    expect(most).toBe(1);
    const first = await acquireProjectLock({ projectDir: dir, timeoutMs: 1000 });
    await rm(file);
    await writeFile(file, '999999998 1'); // someone took it over (e.g. after a clock jump)
    await first.release();
    expect(await readFile(file, 'utf8')).toBe('999999998 1');
  });
});

describe('recorded pids (never signal a process that reused one)', () => {
  it('tells a recorded process from one that got its pid later', async () => {
    const dir = await project();
    const pid = await bystander(dir);
    const start = await processStart(pid);
    expect(start).toBeGreaterThan(0);
    expect(await sameProcess(pid, start)).toBe(true);
    expect(await sameProcess(pid, (start ?? 0) + 1)).toBe(false);
    expect(await pidRuns(pid, 'setInterval', dir)).toBe(true);
    expect(await pidRuns(pid, 'setInterval', path.join(dir, '.difyctl'))).toBe(false);
  });

  it('down leaves alone a process that holds a recorded supervisor or server pid', async () => {
    const dir = await project();
    const pid = await bystander(dir);
    const start = (await processStart(pid)) ?? 0;
    const record = {
      service: 'api',
      supervisorPid: pid,
      supervisorStart: start + 1,
      pid,
      pidStart: start + 1,
      state: 'running' as const,
      restarts: 0,
      crashStreak: 0,
      startedAt: new Date().toISOString(),
      logFile: path.join(dir, 'api.log'),
    };
    await writeRunRecord(dir, record);
    expect(await stopServices({ projectDir: dir, services: ['api'], timeoutMs: 500 })).toEqual(['api']);
    expect(await sameProcess(pid, start)).toBe(true);
    expect(await readRunRecord(dir, 'api')).toBeUndefined();
  });

  it("an embedded redis pid running elsewhere (another project) is not this project's", async () => {
    const dir = await project();
    const elsewhere = await project();
    await mkdir(embeddedRedisDir(elsewhere), { recursive: true });
    // Its command line says redis-server, as another project's would; its directory tells them apart.
    const pid = await bystander(embeddedRedisDir(elsewhere), ['-e', 'setInterval(() => {}, 1000)', 'redis-server']);
    expect(await runningRedis(elsewhere, { pid, port: 6379 })).toEqual({ pid, port: 6379 });
    expect(await runningRedis(dir, { pid, port: 6379 })).toBeUndefined();
  });

  it('down --volumes deletes read-write bind mounts only, never read-only configuration', () => {
    const mounts = [
      { Type: 'bind', Source: '/p/volumes/db/data', Destination: '/var/lib/postgresql/data', RW: true },
      { Type: 'bind', Source: '/p/init.sql', Destination: '/docker-entrypoint-initdb.d/init.sql', RW: false },
      { Type: 'volume', Source: '/var/lib/docker/volumes/x/_data', Destination: '/data', RW: true },
    ];
    // Only Mounts is read; the rest of a listContainers entry does not matter here.
    expect(dataBindSources({ Mounts: mounts } as unknown as Docker.ContainerInfo)).toEqual(['/p/volumes/db/data']);
  });
});
