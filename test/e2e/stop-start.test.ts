import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import getPort from 'get-port';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { describeDocker } from '../helpers/docker.js';
import { difyProject } from '../helpers/fixtures.js';
import { health, initProject, NO_DOCKER } from '../helpers/project.js';

// Issue 13 (speed): `difyctl stop` / `start` keep containers and embedded servers, like compose's.
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Envelope {
  ok: boolean;
  data: {
    services: Array<{
      service: string;
      provider: string;
      state?: string;
      container?: string;
      port?: number;
      pid?: number;
    }>;
  };
  error?: { code: string; message: string; hint?: string };
}
const parse = (stdout: string) => JSON.parse(stdout) as Envelope;
const row = (doc: Envelope, service: string) => doc.data.services.find((s) => s.service === service);

describe('difyctl stop / start on the embedded default', () => {
  it('stop keeps the db and what ran; start runs the api again on the same data', async () => {
    const { dir, port, cleanup } = await initProject();
    cleanups.push(cleanup);
    const up = await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 });
    expect(up.exitCode, up.stderr).toBe(0);
    const setup = await fetch(`http://127.0.0.1:${port}/console/api/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@example.com', name: 'Admin', password: 'correct-horse-battery-1' }),
    });
    expect(setup.status).toBeLessThan(300);

    const stop = await runCli(['stop'], { cwd: dir, env: NO_DOCKER });
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/stopped api/);
    expect(stop.stdout).toMatch(/stopped worker/);
    expect(stop.stdout).toMatch(/stopped embedded db \(pid \d+\)/);
    expect(await health(port)).toBeUndefined();
    const ps = parse((await runCli(['ps', '--json'], { cwd: dir, env: NO_DOCKER })).stdout);
    expect(row(ps, 'db')).toMatchObject({ provider: 'embedded', state: 'stopped' });

    const start = await runCli(['start', '--json'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 });
    expect(start.exitCode, start.stderr).toBe(0);
    expect(JSON.parse(start.stdout).data.started).toEqual(['api', 'worker']);
    expect(await health(port)).toBe(200);
    const status = (await (await fetch(`http://127.0.0.1:${port}/console/api/setup`)).json()) as { step?: string };
    expect(status.step).toBe('finished');
  });

  it('start with nothing created refuses with STACK.NOT_CREATED', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const start = await runCli(['start', '--json'], { cwd: dir, env: NO_DOCKER });
    expect(start.exitCode).toBe(1);
    expect(parse(start.stdout).error?.code).toBe('STACK.NOT_CREATED');
  });
});

describeDocker('difyctl stop / start with the docker provider', () => {
  const docker = new Docker();

  it('stop keeps the containers and their data; start starts the same ones; an engine that does not answer is refused', async () => {
    const project = `dtstop${randomBytes(4).toString('hex')}`;
    const { dir, cleanup } = await difyProject('v015');
    const env = {
      SECRET_KEY: 'docker-test-secret-key-0123456789abcdef',
      COMPOSE_PROJECT_NAME: project,
      EXPOSE_DB_PORT: String(await getPort({ host: '127.0.0.1' })),
    };
    const run = (args: string[], extra: Record<string, string | undefined> = {}) =>
      runCli(args, { cwd: dir, env: { ...env, ...extra }, timeoutMs: 120_000 });
    cleanups.push(async () => {
      await run(['down', '--volumes']);
      await cleanup();
    });
    const up = await run(['up', 'db', 'redis', '--provider', 'docker', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const dbPort = Number(env.EXPOSE_DB_PORT);
    const query = async (sql: string) => {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: dbPort,
        user: 'postgres',
        password: 'difyai123456',
        database: 'dify',
      });
      await client.connect();
      const { rows } = await client.query(sql);
      await client.end();
      return rows as Array<Record<string, unknown>>;
    };
    await query('CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$survives$$)');
    const ids = async () =>
      (await docker.listContainers({ all: true, filters: { label: [`com.difyctl.project=${project}`] } }))
        .map((c) => `${c.Id} ${c.State}`)
        .sort();
    const before = (await ids()).map((s) => s.split(' ')[0]);

    const refused = await run(['stop', '--json'], { DOCKER_HOST: 'unix:///nonexistent/difyctl-dead/docker.sock' });
    expect(refused.exitCode).toBe(1);
    expect(parse(refused.stdout).error?.code).toBe('DOCKER.UNREACHABLE');
    expect((await ids()).map((s) => s.split(' ')[1])).toEqual(['running', 'running']);

    const stop = await run(['stop']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect((await ids()).map((s) => s.split(' ')[1])).toEqual(['exited', 'exited']);
    const ps = parse((await run(['ps', '--json'])).stdout);
    expect(row(ps, 'db')).toMatchObject({ provider: 'docker', state: 'exited', container: `${project}-db-1` });
    expect(JSON.parse(readFileSync(path.join(dir, '.difyctl', 'state.json'), 'utf8')).services.db.provider).toBe(
      'docker',
    );

    const start = await run(['start', '--json']);
    expect(start.exitCode, start.stderr).toBe(0);
    expect(
      parse(start.stdout).data.services.map((s) => [s.service, s.provider, s.port === dbPort || s.service === 'redis']),
    ).toEqual([
      ['db', 'docker', true],
      ['redis', 'docker', true],
    ]);
    expect((await ids()).map((s) => s.split(' ')[0])).toEqual(before);
    expect(await query('SELECT v FROM kept')).toEqual([{ v: 'survives' }]);
  });
});
