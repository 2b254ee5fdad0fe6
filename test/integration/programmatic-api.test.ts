import { existsSync } from 'node:fs';
import { appendFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config, dbReset, doctor, down, init, logs, migrate, ps, serve, up } from '../../src/index.js';
import { tempDir } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

/**
 * Every command's function from src/index.ts, called in-process without the CLI, on a project
 * whose db and redis are servers already running (external provider: fast, no Docker).
 * `up` spawns api from dist/: build first (`npx tsc -p tsconfig.json`).
 */
describe('the programmatic API: each command is one function usable without the CLI', () => {
  let pg: TestPostgres;
  let redis: TestRedis;
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: NodeJS.ProcessEnv;
  let port: number;

  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    ({ dir, cleanup } = await tempDir('difyctl-api-'));
    await chmod(dir, 0o755);
    port = await getPort();
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DOCKER_HOST: 'unix:///nonexistent/difyctl-test/docker.sock',
      ...pg.env(),
      ...redis.env(),
      DIFY_PORT: String(port),
    };
  });
  afterAll(async () => {
    if (dir) await down({ projectDir: dir, env }).catch(() => undefined);
    await Promise.all([pg?.stop(), redis?.stop(), cleanup?.()]);
  });

  it('init writes the project; config resolves it with sources', async () => {
    const written = await init({ dir });
    expect(written.written.map((f) => path.basename(f))).toEqual(
      expect.arrayContaining(['.env', 'docker-compose.yaml']),
    );
    await appendFile(path.join(dir, '.env'), `DIFY_PORT=${port}\n`);
    const resolved = await config({ projectDir: dir, env, mode: 'api' });
    expect(resolved.diagnostics.filter((d) => d.level === 'error')).toEqual([]);
    expect(resolved.typed?.DIFY_PORT).toBe(port);
  });

  it('migrate reports status, then brings the database to head', async () => {
    const before = await migrate({ projectDir: dir, env, action: 'status' });
    expect(before.action === 'status' && before.status.upToDate).toBe(false);
    const run = await migrate({ projectDir: dir, env, action: 'up' });
    expect(run.action === 'up' && run.run.migrations.length).toBeGreaterThan(0);
    const current = await migrate({ projectDir: dir, env, action: 'current' });
    expect(current.action === 'current' && current.current).toBeTruthy();
  });

  it('doctor runs the named checks and refuses an unknown one', async () => {
    const report = await doctor({ projectDir: dir, env, only: ['config', 'db.connect'] });
    expect(report.summary.fail).toBe(0);
    expect(report.checks.map((c) => c.id).sort()).toEqual(['config', 'db.connect']);
    await expect(doctor({ projectDir: dir, env, only: ['no.such.check'] })).rejects.toMatchObject({
      code: 'CLI.USAGE',
    });
  });

  it('up of db and redis attaches to the running servers', async () => {
    const outcome = await up({ projectDir: dir, env, services: ['db', 'redis'] });
    expect(outcome.dependenciesOnly).toBe(true);
    expect(outcome.dependencies.map((d) => [d.name, d.provider])).toEqual([
      ['db', 'external'],
      ['redis', 'external'],
    ]);
  });

  it('up -d runs the api detached; ps and logs see it; down stops it', async () => {
    const phases: string[] = [];
    const outcome = await up({
      projectDir: dir,
      env,
      detach: true,
      timeoutMs: 90_000,
      runPhases: async (list) => {
        for (const phase of list) if (!phase.skip()) phases.push(await phase.run());
      },
    });
    expect(phases).toHaveLength(4);
    expect(outcome.apiUrl).toBe(`http://127.0.0.1:${port}`);
    expect(outcome.untilStopped).toBeUndefined();
    expect((await fetch(`${outcome.apiUrl}/health`)).status).toBe(200);

    const rows = await ps({ projectDir: dir, env });
    expect(rows.find((r) => r.service === 'api')).toMatchObject({ state: 'running', health: 'healthy' });
    const read = await logs({ projectDir: dir, env, services: ['api'] });
    expect(read.services).toEqual(['api']);
    expect(read.lines.length).toBeGreaterThan(0);

    const stopped = await down({ projectDir: dir, env });
    expect(stopped.stopped).toContain('api');
    expect(await fetch(`${outcome.apiUrl}/health`).catch(() => 'refused')).toBe('refused');
  }, 180_000);

  it('dbReset refuses to delete an external database (DB.RESET_EXTERNAL)', async () => {
    await expect(dbReset({ projectDir: dir, env })).rejects.toMatchObject({ code: 'DB.RESET_EXTERNAL' });
    expect((await pg.exec('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('serve runs the worker in-process until a stop signal', async () => {
    await expect(
      serve({ mode: 'worker', queues: 'nope', baseDir: dir, env: { ...env, SECRET_KEY: 'k'.repeat(40) } }),
    ).rejects.toMatchObject({ code: 'CLI.USAGE' });
    const before = new Set(process.listeners('SIGTERM'));
    const serverEnv = { ...env, SECRET_KEY: 'programmatic-api-secret-0123456789abcdef', DB_DATABASE: pg.database };
    const running = serve({ mode: 'worker', queues: 'mail', baseDir: dir, env: serverEnv });
    let failed: unknown;
    running.catch((error: unknown) => (failed = error));
    // The worker listens for SIGTERM once it consumes: call that listener (not the test runner's own).
    await expect
      .poll(() => failed ?? process.listeners('SIGTERM').find((l) => !before.has(l)), { timeout: 30_000 })
      .toBeTypeOf('function');
    const stop = process.listeners('SIGTERM').find((l) => !before.has(l)) as (signal: NodeJS.Signals) => void;
    stop('SIGTERM');
    await expect(running).resolves.toEqual({ mode: 'worker', stopped: true });
    expect(existsSync(dir)).toBe(true);
  });
});
