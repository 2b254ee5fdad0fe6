import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/resolve.js';
import { DifyctlError } from '../../src/errors/index.js';
import { startEmbeddedPostgres } from '../../src/stack/providers/embedded/postgres.js';
import { embeddedRedisDir } from '../../src/stack/providers/embedded/redis.js';
import { pidAlive, processStart } from '../../src/supervision/process.js';
import { acquireProjectLock } from '../../src/supervision/project-lock.js';
import { createStack } from '../../src/stack/stack.js';
import { readState, writeState } from '../../src/stack/state.js';
import { readRunRecord } from '../../src/supervision/run-file.js';
import { Supervisor, type SupervisorEvent } from '../../src/supervision/supervisor.js';
import { mountTmpfs, type Tmpfs } from '../helpers/tmpfs.js';

// A real full file system (a tmpfs of the test's own): root only, skipped with the reason otherwise.
const probe = await mountTmpfs({ sizeMb: 1 });
const unavailable = 'skip' in probe ? probe.skip : undefined;
if ('skip' in probe) console.warn(`disk-full tests skipped: ${probe.skip}`);
else await probe.unmount();

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function disk(options: { sizeMb: number; inodes?: number }): Promise<Tmpfs> {
  const mounted = await mountTmpfs(options);
  if ('skip' in mounted) throw new Error(mounted.skip);
  cleanups.push(() => mounted.unmount());
  await mkdir(path.join(mounted.dir, '.difyctl'));
  return mounted;
}

const until = async (condition: () => Promise<boolean> | boolean) => {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 50));
};

describe.skipIf(unavailable !== undefined)('a full disk (a real tmpfs, filled)', () => {
  it('takes the project lock with no free block left: the lock is a symlink, which needs none', async () => {
    const d = await disk({ sizeMb: 2 });
    await d.fill();
    await expect(writeFile(path.join(d.dir, 'probe'), 'x')).rejects.toMatchObject({ code: 'ENOSPC' });
    const lock = await acquireProjectLock({ projectDir: d.dir, timeoutMs: 1000 });
    expect(lock.unwritten).toBeUndefined();
    expect(await readlink(path.join(d.dir, '.difyctl', 'lock'))).toMatch(new RegExp(`^${process.pid} `));
    await lock.release();
  });

  it('with no inode left: the lock is FS.DISK_FULL naming the mount and what is free; down goes on without it, unless a live difyctl holds it', async () => {
    const d = await disk({ sizeMb: 2, inodes: 64 });
    const lockFile = path.join(d.dir, '.difyctl', 'lock');
    await d.fill();
    await d.exhaustInodes();
    const error = await acquireProjectLock({ projectDir: d.dir, timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DifyctlError);
    expect(error).toMatchObject({
      code: 'FS.DISK_FULL',
      message: expect.stringContaining(`0 B free of 2.0 MiB on ${d.dir} (tmpfs)`),
    });
    expect((error as DifyctlError).hint).toContain(`df -h ${d.dir}`);
    expect((error as DifyctlError).hint).toContain('`difyctl down` still stops the stack');

    const without = await acquireProjectLock({ projectDir: d.dir, timeoutMs: 1000, withoutLockOnFullDisk: true });
    expect(without.unwritten?.code).toBe('FS.DISK_FULL');
    await without.release();

    // A dead holder's lock (its takeover guard cannot be created either): down still goes on.
    await d.release();
    await symlink('999999999 1', lockFile);
    await d.fill();
    await d.exhaustInodes();
    expect(
      (await acquireProjectLock({ projectDir: d.dir, timeoutMs: 1000, withoutLockOnFullDisk: true })).unwritten?.code,
    ).toBe('FS.DISK_FULL');

    // A live holder's lock stands, full disk or not: down waits for it.
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    cleanups.push(async () => void holder.kill('SIGKILL'));
    await new Promise((resolve) => holder.once('spawn', resolve));
    await d.release();
    await rm(lockFile);
    await symlink(`${holder.pid} ${await processStart(holder.pid ?? 0)}`, lockFile);
    await d.fill();
    await d.exhaustInodes();
    await expect(
      acquireProjectLock({ projectDir: d.dir, timeoutMs: 300, withoutLockOnFullDisk: true }),
    ).rejects.toMatchObject({ code: 'STACK.LOCKED' });
  });

  it('state.json that cannot be rewritten: FS.DISK_FULL naming it; the old file stays whole, no temp file is left', async () => {
    const d = await disk({ sizeMb: 2 });
    await writeState(d.dir, {
      version: 1,
      project: 'p',
      services: { db: { provider: 'embedded', pid: 4242, since: '2026-01-01T00:00:00.000Z' } },
    });
    await d.fill();
    const error = await writeState(d.dir, { version: 1, project: 'p', services: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'FS.DISK_FULL',
      message: expect.stringContaining(path.join(d.dir, '.difyctl', 'state.json')),
    });
    expect((await readState(d.dir, 'p')).services.db?.pid).toBe(4242);
    expect((await readdir(path.join(d.dir, '.difyctl'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('the embedded PostgreSQL is not started with less than a WAL segment free: FS.DISK_FULL, nothing spawned', async () => {
    const d = await disk({ sizeMb: 64 });
    await writeFile(path.join(d.dir, 'filler'), Buffer.alloc(50 * 1024 * 1024)); // 14 MiB left
    const error = await startEmbeddedPostgres({
      projectDir: d.dir,
      user: 'postgres',
      password: 'pw',
      preferredPort: 5432,
      report: () => undefined,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'FS.DISK_FULL',
      message: expect.stringMatching(
        new RegExp(
          `the embedded PostgreSQL .* needs at least 16\\.0 MiB free: 14\\.\\d MiB free of 64\\.0 MiB on ${d.dir} \\(tmpfs\\)`,
        ),
      ),
    });
    expect(await readRunRecord(d.dir, 'db')).toBeUndefined();
  });

  it('down stops what is recorded; a record it cannot clear is a warning naming the disk, not a failure', async () => {
    const d = await disk({ sizeMb: 2 });
    // An embedded redis-server as down finds one: its command line and its data dir as cwd.
    await mkdir(embeddedRedisDir(d.dir), { recursive: true });
    const redis = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'redis-server'], {
      cwd: embeddedRedisDir(d.dir),
      stdio: 'ignore',
    });
    cleanups.push(async () => void redis.kill('SIGKILL'));
    await new Promise((resolve) => redis.once('spawn', resolve));
    await writeState(d.dir, {
      version: 1,
      project: 'p',
      services: {
        redis: { provider: 'embedded', host: '127.0.0.1', port: 6399, pid: redis.pid, since: new Date().toISOString() },
      },
    });
    await d.fill();
    const env = { DOCKER_HOST: 'unix:///nonexistent/difyctl-test/docker.sock', PATH: process.env.PATH };
    const events: string[] = [];
    const stack = createStack({
      config: loadConfig({ projectDir: d.dir, projectName: 'p', env, mode: 'api' }),
      env,
      report: (e) => e.type === 'warning' && events.push(e.message),
    });
    const result = await stack.down();
    expect(result.stopped).toEqual([`embedded redis-server (pid ${redis.pid})`]);
    expect(await pidAlive(redis.pid)).toBe(false);
    expect(result.warning).toContain(`0 B free of 2.0 MiB on ${d.dir} (tmpfs)`);
    expect(result.warning).toContain('[FS.DISK_FULL]');
    expect(events.join('\n')).toContain('the stopped services stay listed in it');
    // The stale record is harmless: its process is gone, and ps checks it.
    expect((await readState(d.dir, 'p')).services.redis?.pid).toBe(redis.pid);
    expect((await stack.ps()).find((r) => r.service === 'redis')).toMatchObject({ state: 'stopped' });
  });

  it('a supervisor keeps supervising: a killed process is restarted though its record cannot be written; record and log catch up once there is space', async () => {
    const d = await disk({ sizeMb: 4 });
    const logFile = path.join(d.dir, '.difyctl', 'logs', 'api.log');
    const events: SupervisorEvent[] = [];
    const supervisor = new Supervisor({
      service: 'api',
      command: process.execPath,
      args: ['-e', "setInterval(() => console.log('tick'), 50)"],
      env: { PATH: process.env.PATH },
      cwd: d.dir,
      projectDir: d.dir,
      logFile,
      minUptimeMs: 0,
      stopTimeoutMs: 2000,
      onEvent: (e) => events.push(e),
    });
    cleanups.push(async () => void (await supervisor.stop('SIGKILL')));
    supervisor.start();
    await until(
      async () =>
        (await readRunRecord(d.dir, 'api'))?.state === 'running' &&
        (await readFile(logFile, 'utf8').catch(() => '')).includes('tick'),
    );
    const first = supervisor.pid;

    await d.fill();
    process.kill(first ?? 0, 'SIGKILL');
    await until(() => events.some((e) => e.type === 'spawn' && e.pid !== first));
    expect(events.some((e) => e.type === 'record-failed')).toBe(true);
    expect(await pidAlive(supervisor.pid)).toBe(true);
    expect((await readRunRecord(d.dir, 'api'))?.pid).toBe(first); // behind while the disk is full

    await d.release();
    await until(async () => (await readRunRecord(d.dir, 'api'))?.pid === supervisor.pid);
    expect(await readRunRecord(d.dir, 'api')).toMatchObject({ state: 'running', restarts: 1 });
    const size = (await stat(logFile)).size;
    await until(async () => (await stat(logFile)).size > size);
  });
});
