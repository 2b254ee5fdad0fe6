import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BIN, baseEnv, runCli } from '../helpers/cli.js';
import { describeDocker } from '../helpers/docker.js';
import { health, initProject as initTempProject, NO_DOCKER } from '../helpers/project.js';
import { pidAlive, processStart } from '../../src/supervision/process.js';
import { writeRunRecord } from '../../src/supervision/run-file.js';
import { loadMigrations } from '../../src/db/registry.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function initProject(env: Record<string, string | undefined>): Promise<{ dir: string; port: number }> {
  const project = await initTempProject(env);
  cleanups.push(project.cleanup);
  return project;
}

const json = (stdout: string) =>
  JSON.parse(stdout) as { ok: boolean; data: Record<string, unknown> & { services: Array<Record<string, unknown>> } };
const row = (doc: ReturnType<typeof json>, service: string) => doc.data.services.find((s) => s.service === service);

describe('difyctl up on the embedded default (no Docker, no redis-server)', () => {
  it('init && up -d → healthy; ps; a second up; down; the data survives a new up', async () => {
    const { dir, port } = await initProject(NO_DOCKER);
    const up = await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toContain('stack is up');
    expect(up.stderr).toMatch(/\[\d{2}:\d{2}:\d{2}\]/); // timestamped lines off a TTY
    expect(await health(port)).toBe(200);

    const ps = json((await runCli(['ps', '--json'], { cwd: dir, env: NO_DOCKER })).stdout);
    expect(row(ps, 'db')).toMatchObject({ provider: 'embedded', state: 'running', health: 'healthy' });
    expect(row(ps, 'redis')).toMatchObject({ provider: 'none' });
    expect(row(ps, 'api')).toMatchObject({
      provider: 'process',
      state: 'running',
      health: 'healthy',
      restarts: 0,
      ready: 'ready',
    });
    expect((await runCli(['ps'], { cwd: dir, env: NO_DOCKER })).stdout).toMatch(/redis\s+none/);

    // Data written through the api survives down + up.
    const setup = await fetch(`http://127.0.0.1:${port}/console/api/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@example.com', name: 'Admin', password: 'correct-horse-battery-1' }),
    });
    expect(setup.status).toBeLessThan(300);

    const again = await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('already running');

    const down = await runCli(['down'], { cwd: dir, env: NO_DOCKER });
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toContain('stopped api');
    expect(await health(port)).toBeUndefined();
    const after = json((await runCli(['ps', '--json'], { cwd: dir, env: NO_DOCKER })).stdout);
    expect(row(after, 'api')).toBeUndefined();
    expect(row(after, 'db')?.state).not.toBe('running');

    expect((await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 })).exitCode).toBe(0);
    const status = (await (await fetch(`http://127.0.0.1:${port}/console/api/setup`)).json()) as { step?: string };
    expect(status.step).toBe('finished');
  });

  it('restarts a killed api within its supervisor and counts it in ps', async () => {
    const { dir, port } = await initProject(NO_DOCKER);
    expect((await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 })).exitCode).toBe(0);
    const before = row(json((await runCli(['ps', '--json'], { cwd: dir, env: NO_DOCKER })).stdout), 'api');
    process.kill(Number(before?.pid), 'SIGKILL');
    const killedAt = Date.now();
    let after = before;
    while (!(after?.pid !== before?.pid && after?.health === 'healthy')) {
      await new Promise((r) => setTimeout(r, 100));
      after = row(json((await runCli(['ps', '--json'], { cwd: dir, env: NO_DOCKER })).stdout), 'api');
    }
    console.log(`api healthy again ${Date.now() - killedAt} ms after kill -9 (includes ps runs)`);
    expect(after?.restarts).toBe(1);
    expect(await health(port)).toBe(200);
  });

  it('gives up on a server that crashes at start: exit 1, the log tail, nothing of this run left', async () => {
    const { dir, port } = await initProject(NO_DOCKER);
    await appendFile(
      path.join(dir, '.env'),
      'CUSTOM_MIDDLEWARE_ENABLED=true\nCUSTOM_MIDDLEWARE_MODULE=./middleware/missing.js\n',
    );
    const up = await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 });
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toContain('[SERVER.CRASHED]');
    expect(up.stderr).toContain('missing.js');
    expect(up.stderr).toContain('difyctl doctor');
    expect(await health(port)).toBeUndefined();
    const ps = json((await runCli(['ps', '--json'], { cwd: dir, env: NO_DOCKER })).stdout);
    expect(row(ps, 'api')).toBeUndefined();
    expect(row(ps, 'db')?.state).not.toBe('running');
  }, 180_000); // ten failing starts and their backoff: minutes on a loaded machine

  it('three up -d at once: one stack, all exit 0, migrations applied once', async () => {
    const { dir, port } = await initProject(NO_DOCKER);
    const results = await Promise.all(
      [1, 2, 3].map(() => runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 })),
    );
    expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0]);
    expect(results.filter((r) => r.stdout.includes('already running'))).toHaveLength(2);
    expect(await health(port)).toBe(200);
    const env = await readFile(path.join(dir, '.env'), 'utf8');
    const password = /^DB_PASSWORD=(.+)$/m.exec(env)?.[1];
    const ps = json((await runCli(['ps', '--json'], { cwd: dir, env: NO_DOCKER })).stdout);
    const [, dbPort] = String(row(ps, 'db')?.address).split(':');
    const client = new pg.Client({
      host: '127.0.0.1',
      port: Number(dbPort),
      user: 'postgres',
      password,
      database: 'dify',
    });
    await client.connect();
    try {
      const history = await client.query('SELECT revision FROM difyctl_migrations');
      // Each migration of the package exactly once, though three ups raced for them.
      expect(history.rowCount).toBe((await loadMigrations()).length);
    } finally {
      await client.end();
    }
  });

  it('an up that times out waiting for the project lock stops nothing of the stack another difyctl runs', async () => {
    const { dir } = await initProject(NO_DOCKER);
    // Stand-ins: a live difyctl holding the lock, and the api supervisor of the running stack.
    const [holder, supervisor] = [1, 2].map(() =>
      execa(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { reject: false }),
    );
    cleanups.push(async () => {
      holder.kill('SIGKILL');
      supervisor.kill('SIGKILL');
      await Promise.all([holder, supervisor]);
    });
    await mkdir(path.join(dir, '.difyctl'), { recursive: true });
    await writeFile(path.join(dir, '.difyctl', 'lock'), `${holder.pid} ${await processStart(holder.pid!)}`);
    await writeRunRecord(dir, {
      service: 'api',
      supervisorPid: supervisor.pid!,
      supervisorStart: await processStart(supervisor.pid!),
      state: 'running',
      restarts: 0,
      crashStreak: 0,
      startedAt: new Date().toISOString(),
      logFile: path.join(dir, 'api.log'),
    });
    const up = await runCli(['up', '-d', '--timeout', '1'], { cwd: dir, env: NO_DOCKER });
    expect(up.exitCode, up.stderr).toBe(3);
    expect(up.stderr).toContain('[STACK.LOCKED]');
    expect(await pidAlive(supervisor.pid)).toBe(true);
  });

  it('foreground: Ctrl-C stops the api gracefully, leaves db running, exits 130', async () => {
    const { dir, port } = await initProject(NO_DOCKER);
    const child = execa(process.execPath, [BIN, 'up'], {
      cwd: dir,
      env: { ...baseEnv(), ...NO_DOCKER, NO_COLOR: '1' },
      extendEnv: false,
      reject: false,
    });
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await child.catch(() => undefined);
    });
    // Up and supervising once it says so (a Ctrl-C before that undoes the whole run instead).
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('Press Ctrl-C')) resolve();
      });
      void child.then((r) => reject(new Error(`up exited early (${r.exitCode}): ${stderr}`)));
    });
    expect(await health(port)).toBe(200);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(await health(port)).toBeUndefined();
    const ps = json((await runCli(['ps', '--json'], { cwd: dir, env: NO_DOCKER })).stdout);
    expect(row(ps, 'db')).toMatchObject({ state: 'running' });
    expect(row(ps, 'api')).toBeUndefined();
    expect(await readFile(path.join(dir, '.difyctl', 'logs', 'api.log'), 'utf8')).toMatch(/stopp|drain|shut/i);
  });

  it('logs api -n 5 and --grep with context read the real server log', async () => {
    const { dir } = await initProject(NO_DOCKER);
    expect((await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 })).exitCode).toBe(0);
    const tail = await runCli(['logs', 'api', '-n', '2'], { cwd: dir, env: NO_DOCKER });
    expect(tail.exitCode).toBe(0);
    expect(tail.stdout.trim().split('\n')).toHaveLength(2);
    expect(tail.stdout).toMatch(/^api \| /m);
    const grep = await runCli(['logs', '--grep', 'listening', '-A', '1'], { cwd: dir, env: NO_DOCKER });
    expect(grep.stdout).toMatch(/listening/);
  });
});

describeDocker('difyctl up with the docker provider', () => {
  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('runs api and worker (--mode all) from the templates compose file on local images', async () => {
    const env = { COMPOSE_PROJECT_NAME: `difyctl-e2e-${process.pid}` };
    const { dir, port } = await initProject(env);
    const up = await runCli(['up', '-d', '--mode', 'all', '--provider', 'docker', '--json'], {
      cwd: dir,
      env,
      timeoutMs: 240_000,
    });
    expect(up.exitCode, up.stderr).toBe(0);
    const doc = json(up.stdout);
    expect(doc.ok).toBe(true);
    expect(await health(port)).toBe(200);
    const ps = json((await runCli(['ps', '--json'], { cwd: dir, env })).stdout);
    expect(row(ps, 'db')).toMatchObject({ provider: 'docker', state: 'running', health: 'healthy' });
    expect(row(ps, 'redis')).toMatchObject({ provider: 'docker', state: 'running' });
    expect(row(ps, 'api')).toMatchObject({ health: 'healthy', ready: 'ready' });
    expect(row(ps, 'worker')).toMatchObject({ state: 'running' });
    const down = await runCli(['down'], { cwd: dir, env, timeoutMs: 120_000 });
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toMatch(/stopped worker/);
  });
});
