import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, baseEnv, runCli } from '../helpers/cli.js';
import { health, initProject, NO_DOCKER } from '../helpers/project.js';
import { mountTmpfs } from '../helpers/tmpfs.js';
import { pidAlive } from '../../src/supervision/process.js';
import { processTree } from '../../src/stack/launch/own-pids.js';
import { readRunRecord } from '../../src/supervision/run-file.js';

// The launcher under faults (issue 13): kill -9 of the embedded PostgreSQL, of a foreground `up`,
// and a full disk under a running stack.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Row = Record<string, unknown> & {
  service: string;
  state?: string;
  pid?: number;
  restarts?: number;
  address?: string;
};
const ps = async (dir: string): Promise<Row[]> =>
  (JSON.parse((await runCli(['ps', '--json'], { cwd: dir, env: NO_DOCKER })).stdout) as { data: { services: Row[] } })
    .data.services;
const row = async (dir: string, service: string) => (await ps(dir)).find((r) => r.service === service);
const until = async (condition: () => Promise<boolean>) => {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 100));
};

/** Logs in to the embedded PostgreSQL with the project's credentials and runs SELECT 1. */
async function dbLogin(dir: string, port: number): Promise<boolean> {
  const password = /^DB_PASSWORD=(.+)$/m.exec(await readFile(path.join(dir, '.env'), 'utf8'))?.[1];
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'dify',
    connectionTimeoutMillis: 2000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query('SELECT 1 AS one')).rows[0]?.one === 1;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Every pid of the stack: supervisors (api, db), the api's cluster, the postmaster and its backends. */
async function stackProcesses(dir: string): Promise<number[]> {
  const roots: number[] = [];
  for (const service of ['api', 'worker', 'db']) {
    const record = await readRunRecord(dir, service);
    if (record) roots.push(record.supervisorPid, ...(record.pid ? [record.pid] : []));
  }
  const alive = await Promise.all(roots.map(async (p) => ((await pidAlive(p)) ? p : 0)));
  return [...(await processTree(alive.filter(Boolean)))];
}

const noneAlive = async (pids: number[]) => (await Promise.all(pids.map((p) => pidAlive(p)))).every((alive) => !alive);
/** Whether every pid is gone, waiting up to 15 s for processes that are still exiting (a loaded machine). */
const allGone = async (pids: number[]) => {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    if (await noneAlive(pids)) return true;
  }
  return noneAlive(pids);
};

describe('the embedded PostgreSQL under a supervisor', () => {
  it('kill -9 of the postmaster: restarted with backoff, logins and the api come back, ps counts it, down stops it for good', {
    timeout: 300_000,
  }, async () => {
    const project = await initProject(NO_DOCKER);
    cleanups.push(project.cleanup);
    const { dir, port } = project;
    expect((await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 })).exitCode).toBe(0);
    const before = await row(dir, 'db');
    expect(before).toMatchObject({ provider: 'embedded', state: 'running', restarts: 0 });
    const dbPort = Number(String(before?.address).split(':')[1]);
    const supervisor = (await readRunRecord(dir, 'db'))?.supervisorPid;
    expect(await pidAlive(supervisor)).toBe(true);

    process.kill(Number(before?.pid), 'SIGKILL');
    const killedAt = Date.now();
    await until(() => dbLogin(dir, dbPort));
    const loginMs = Date.now() - killedAt;
    await until(async () => (await health(port)) === 200);
    console.log(
      `embedded PostgreSQL: logins again ${loginMs} ms after kill -9 of the postmaster, api /health 200 after ${Date.now() - killedAt} ms`,
    );

    const after = await row(dir, 'db');
    expect(after).toMatchObject({ state: 'running', health: 'healthy', restarts: 1 });
    expect(after?.pid).not.toBe(before?.pid);
    expect((await readRunRecord(dir, 'db'))?.supervisorPid).toBe(supervisor);

    const pids = await stackProcesses(dir);
    const down = await runCli(['down'], { cwd: dir, env: NO_DOCKER, timeoutMs: 120_000 });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toContain(`stopped embedded postgres (pid ${after?.pid})`);
    expect(await allGone([...pids, Number(supervisor)])).toBe(true);
    expect(await dbLogin(dir, dbPort)).toBe(false);
    expect(await row(dir, 'db')).toMatchObject({ state: 'absent' }); // stopped and forgotten: nothing restarts it
  });
});

describe('kill -9 of the db supervisor itself', () => {
  it('PostgreSQL keeps serving; up says nothing restarts it; down still stops it', { timeout: 300_000 }, async () => {
    const project = await initProject(NO_DOCKER);
    cleanups.push(project.cleanup);
    const { dir } = project;
    expect((await runCli(['up', 'db'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 })).exitCode).toBe(0);
    const record = await readRunRecord(dir, 'db');
    const postmaster = (await row(dir, 'db'))?.pid;
    process.kill(record?.supervisorPid ?? 0, 'SIGKILL');
    await until(async () => !(await pidAlive(record?.supervisorPid)));
    expect(await pidAlive(postmaster)).toBe(true);
    expect(await row(dir, 'db')).toMatchObject({ state: 'running', health: 'healthy', pid: postmaster });

    const again = await runCli(['up', 'db'], { cwd: dir, env: NO_DOCKER, timeoutMs: 120_000 });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain(`the embedded PostgreSQL (pid ${postmaster}) runs without its supervisor`);

    const down = await runCli(['down'], { cwd: dir, env: NO_DOCKER, timeoutMs: 120_000 });
    expect(down.stdout).toContain(`stopped embedded postgres (pid ${postmaster})`);
    expect(await pidAlive(postmaster)).toBe(false);
  });
});

describe('kill -9 of a foreground up', () => {
  it('the api follows it down; ps never says stopped while an api process runs; down leaves no pid running', {
    timeout: 300_000,
  }, async () => {
    const project = await initProject(NO_DOCKER);
    cleanups.push(project.cleanup);
    const { dir, port } = project;
    const up = execa(process.execPath, [BIN, 'up'], {
      cwd: dir,
      env: { ...baseEnv(), ...NO_DOCKER, NO_COLOR: '1' },
      extendEnv: false,
      reject: false,
    });
    cleanups.push(async () => {
      up.kill('SIGKILL');
      await up.catch(() => undefined);
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      up.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('Press Ctrl-C')) resolve();
      });
      void up.then((r) => reject(new Error(`up exited early (${r.exitCode}): ${stderr}`)));
    });
    expect(await health(port)).toBe(200);
    const api = await readRunRecord(dir, 'api');
    const apiPids = [...(await processTree([api?.pid ?? 0]))];
    expect(apiPids.length).toBeGreaterThanOrEqual(2); // the cluster primary and its api process

    up.kill('SIGKILL');
    await up;
    // Each answer of ps is checked against the processes after it: alive then means alive during ps.
    for (;;) {
      const apiRow = await row(dir, 'api');
      const running = !(await noneAlive(apiPids));
      if (running) expect(apiRow?.state, 'ps said the api stopped while it ran').not.toBe('stopped');
      if (!running) {
        expect(apiRow).toMatchObject({ state: 'stopped', health: '-' });
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await health(port)).toBeUndefined();

    const pids = await stackProcesses(dir);
    expect((await runCli(['down'], { cwd: dir, env: NO_DOCKER, timeoutMs: 120_000 })).exitCode).toBe(0);
    expect(await allGone([...pids, ...apiPids])).toBe(true);
  });
});

describe('a full disk under a running stack (the project on a small tmpfs, filled)', () => {
  it('down stops everything and names the full disk; up refuses with FS.DISK_FULL, the free space and the mount', {
    timeout: 300_000,
  }, async (ctx) => {
    const disk = await mountTmpfs({ sizeMb: 256, inodes: 4000 });
    if ('skip' in disk) {
      console.warn(`skipped: ${disk.skip}`);
      ctx.skip();
      return;
    }
    cleanups.push(() => disk.unmount());
    const { dir } = disk;
    expect((await runCli(['init'], { cwd: dir, env: NO_DOCKER })).exitCode).toBe(0);
    const port = await getPort();
    await appendFile(path.join(dir, '.env'), `DIFY_PORT=${port}\n`);
    cleanups.push(async () => {
      await disk.release();
      await runCli(['down'], { cwd: dir, env: NO_DOCKER, timeoutMs: 120_000 });
    });
    expect((await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 })).exitCode).toBe(0);
    const pids = await stackProcesses(dir);

    // No free block: the lock still works (a symlink), a running stack is found running.
    await disk.fill();
    const again = await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 60_000 });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('already running');

    // No inode either: neither the lock nor state.json can be written; down stops everything anyway.
    await disk.exhaustInodes();
    const down = await runCli(['down'], { cwd: dir, env: NO_DOCKER, timeoutMs: 120_000 });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/stopped api\nstopped worker\nstopped embedded postgres \(pid \d+\)/);
    expect(down.stderr).not.toContain('INTERNAL.BUG');
    expect(down.stderr).toContain('stopping without the project lock [FS.DISK_FULL]');
    expect(down.stderr).toContain(`0 B free of 256.0 MiB on ${dir} (tmpfs)`);
    expect(await allGone(pids)).toBe(true);
    expect((await ps(dir)).filter((r) => r.state === 'running')).toEqual([]);

    // Refused at the lock or before starting PostgreSQL (stopping freed a few KiB): FS.DISK_FULL either way.
    const refused = await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 60_000 });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('[FS.DISK_FULL]');
    expect(refused.stderr).toMatch(new RegExp(`[\\d.]+ (B|KiB) free of 256\\.0 MiB on ${dir} \\(tmpfs\\)`));
    expect(refused.stderr).toContain(`df -h ${dir}`);

    // Inodes back, blocks still full: the lock is taken, nothing is started on a disk with no room.
    await disk.release();
    await disk.fill();
    const noRoom = await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 60_000 });
    expect(noRoom.exitCode).toBe(1);
    expect(noRoom.stderr).toContain('[FS.DISK_FULL]');
    expect(noRoom.stderr).toContain(`0 B free of 256.0 MiB on ${dir} (tmpfs)`);
    expect(await allGone(await stackProcesses(dir))).toBe(true);
  });
});
