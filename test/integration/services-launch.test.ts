import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator } from '../../src/db/migrator.js';
import { DifyctlError } from '../../src/errors/index.js';
import { pidAlive } from '../../src/supervision/process.js';
import { launchServices, stopServices } from '../../src/stack/launch/launch.js';
import { readRunRecord } from '../../src/supervision/run-file.js';
import { tempDir } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

let pg: TestPostgres;
const cleanups: Array<() => Promise<void>> = [];
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await pg?.stop();
});

async function setup(extra: Record<string, string> = {}) {
  const { dir, cleanup } = await tempDir();
  const db = await pg.createDatabase();
  await createMigrator({ connection: db }).up();
  const port = await getPort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...pg.env(db.database),
    DIFYCTL_REDIS: 'none',
    SECRET_KEY: 'test-secret-key-0123456789-0123456789',
    DEPLOY_ENV: 'DEVELOPMENT',
    DIFY_PORT: String(port),
    LOG_LEVEL: 'INFO',
    ...extra,
  };
  cleanups.push(async () => {
    await stopServices({ projectDir: dir, services: ['api', 'worker'], timeoutMs: 5000 });
    await cleanup();
  });
  return { dir, port, env };
}

const health = async (port: number) => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status;

describe('api under a supervisor (real server, real PostgreSQL, no Redis)', () => {
  it('serves /health, replaces a process killed with SIGKILL, and stops', async () => {
    const { dir, port, env } = await setup();
    const launch = await launchServices({
      projectDir: dir,
      services: ['api'],
      env,
      port,
      detach: false,
      timeoutMs: 60_000,
    });
    expect(launch.services[0]).toMatchObject({ service: 'api', url: `http://127.0.0.1:${port}` });
    expect(await health(port)).toBe(200);
    const first = (await readRunRecord(dir, 'api'))?.pid;
    process.kill(first ?? 0, 'SIGKILL');
    const killedAt = Date.now();
    let record = await readRunRecord(dir, 'api');
    while (!(record?.state === 'running' && record.pid !== first && (await health(port)) === 200)) {
      await new Promise((r) => setTimeout(r, 50));
      record = await readRunRecord(dir, 'api');
    }
    console.log(`api replaced and healthy ${Date.now() - killedAt} ms after SIGKILL`);
    expect(record.restarts).toBe(1);
    await stopServices({ projectDir: dir, services: ['api'], supervisors: launch.supervisors });
    expect(await health(port)).toBeUndefined();
    expect(await readRunRecord(dir, 'api')).toBeUndefined();
  });

  it('gives up on a server that crashes at start, with the log tail, and leaves nothing running', async () => {
    const { dir, port, env } = await setup({
      CUSTOM_MIDDLEWARE_ENABLED: 'true',
      CUSTOM_MIDDLEWARE_MODULE: './does-not-exist.js',
    });
    const error = await launchServices({
      projectDir: dir,
      services: ['api'],
      env,
      port,
      detach: false,
      timeoutMs: 60_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DifyctlError);
    expect(error).toMatchObject({ code: 'SERVER.CRASHED' });
    expect((error as DifyctlError).why).toContain('does-not-exist');
    expect(await readRunRecord(dir, 'api')).toBeUndefined();
    expect(await health(port)).toBeUndefined();
  }, 180_000); // ten failing starts and their backoff: minutes on a loaded machine

  it('detached: the supervisor outlives the launcher and stops by its pid', async () => {
    const { dir, port, env } = await setup();
    const launch = await launchServices({
      projectDir: dir,
      services: ['api', 'worker'],
      env,
      port,
      detach: true,
      timeoutMs: 60_000,
    });
    expect(launch.supervisors).toEqual([]);
    const api = await readRunRecord(dir, 'api');
    const worker = await readRunRecord(dir, 'worker');
    expect(api?.supervisorPid).not.toBe(process.pid);
    expect(await pidAlive(api?.supervisorPid)).toBe(true);
    expect(worker?.state).toBe('running');
    // A new launch (an `up` that found the worker not serving) replaces the earlier supervisor, never orphans it.
    await launchServices({ projectDir: dir, services: ['worker'], env, port, detach: true, timeoutMs: 60_000 });
    const replaced = await readRunRecord(dir, 'worker');
    expect(replaced?.supervisorPid).not.toBe(worker?.supervisorPid);
    expect(await pidAlive(worker?.supervisorPid)).toBe(false);
    expect(await pidAlive(worker?.pid)).toBe(false);
    expect(await stopServices({ projectDir: dir, services: ['api', 'worker'] })).toEqual(['api', 'worker']);
    expect(await pidAlive(api?.supervisorPid)).toBe(false);
    expect(await pidAlive(replaced?.supervisorPid)).toBe(false);
    expect(await pidAlive(replaced?.pid)).toBe(false);
    expect(await health(port)).toBeUndefined();
  });

  it('an interrupted detached launch (Ctrl-C) stops the supervisor it spawned, even before its run record exists', async () => {
    const { dir, port, env } = await setup();
    const interrupted = new AbortController();
    interrupted.abort();
    const detached: Array<{ pid: number; start?: number }> = [];
    await expect(
      launchServices({
        projectDir: dir,
        services: ['api'],
        env,
        port,
        detach: true,
        timeoutMs: 60_000,
        detached,
        signal: interrupted.signal,
      }),
    ).rejects.toMatchObject({ code: 'CLI.INTERRUPTED' });
    expect(detached).toHaveLength(1);
    expect(await pidAlive(detached[0]?.pid)).toBe(false);
    expect(await readRunRecord(dir, 'api')).toBeUndefined();
  });
});
