import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import getPort from 'get-port';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { describeDocker } from '../helpers/docker.js';
import { difyProject } from '../helpers/fixtures.js';

// Issue 13: bug 1 (down --volumes deleted the data under running containers when DOCKER_HOST was
// unset after `up` used it) and bug 5 (`logs` without -f never returned for containers).
const SECRET_KEY = 'docker-test-secret-key-0123456789abcdef';
const DEAD = { DOCKER_HOST: 'unix:///nonexistent/difyctl-dead/docker.sock' };
const UNSET = { DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined };
const docker = new Docker();

interface Envelope {
  ok: boolean;
  data: Record<string, unknown> & {
    services?: Array<Record<string, unknown>>;
    lines?: Array<{ service: string; text: string }>;
  };
  error?: { code: string; message: string; hint?: string };
}
const parse = (stdout: string) => JSON.parse(stdout) as Envelope;

describeDocker('the Docker engine `up` used (issue 13, bugs 1 and 5)', () => {
  const project = `dtengine${randomBytes(4).toString('hex')}`;
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: Record<string, string | undefined>;
  let dbPort: number;
  const run = (args: string[], extra: Record<string, string | undefined> = {}) =>
    runCli(args, { cwd: dir, env: { ...env, ...extra }, timeoutMs: 90_000 });
  const stateFile = () => path.join(dir, '.difyctl', 'state.json');
  const containers = () => docker.listContainers({ all: true, filters: { label: [`com.difyctl.project=${project}`] } });
  const dbAnswers = async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: dbPort,
      user: 'postgres',
      password: 'difyai123456',
      database: 'dify',
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ v: string }>('SELECT v FROM kept');
      return rows.map((r) => r.v);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    ({ dir, cleanup } = await difyProject('v015'));
    dbPort = await getPort({ host: '127.0.0.1' });
    env = { SECRET_KEY, COMPOSE_PROJECT_NAME: project, EXPOSE_DB_PORT: String(dbPort) };
    const up = await run(['up', 'db', 'redis', '--provider', 'docker']);
    expect(up.exitCode, up.stderr).toBe(0);
    const client = new pg.Client({
      host: '127.0.0.1',
      port: dbPort,
      user: 'postgres',
      password: 'difyai123456',
      database: 'dify',
    });
    await client.connect();
    await client.query('CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$survives$$)');
    await client.end();
  });
  afterAll(async () => {
    await run(['down', '--volumes']).catch(() => undefined);
    for (const c of await containers())
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    await cleanup();
  });

  it('up records the engine; ps and logs use it when DOCKER_HOST is unset', async () => {
    const state = JSON.parse(readFileSync(stateFile(), 'utf8')) as {
      engine?: { host: string; source: string; id?: string };
    };
    expect(state.engine).toMatchObject({ host: process.env.DOCKER_HOST, source: 'DOCKER_HOST' });
    expect(state.engine?.id).toBeTruthy();
    const ps = parse((await run(['ps', '--json'], UNSET)).stdout);
    expect(ps.data.services?.filter((s) => s.provider === 'docker').map((s) => [s.service, s.state])).toEqual([
      ['db', 'running'],
      ['redis', 'running'],
    ]);
    const logs = await run(['logs', 'db', '-n', '5'], UNSET);
    expect(logs.exitCode, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^db +\| .*ready to accept connections/m);
  });

  it('logs without -f return: all services, two named ones, and --json (bug 5)', async () => {
    const all = await run(['logs']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^db +\| /m);
    expect(all.stdout).toMatch(/^redis +\| .*Ready to accept connections/m);
    const named = await run(['logs', 'db', 'redis', '-n', '3', '-t']);
    expect(named.exitCode, named.stderr).toBe(0);
    expect(named.stdout.trim().split('\n')).toHaveLength(6);
    const json = parse((await run(['logs', '--json', '-n', '2'])).stdout);
    expect(json.ok).toBe(true);
    expect(json.data.lines?.map((l) => l.service).sort()).toEqual(['db', 'db', 'redis', 'redis']);
  });

  it('against an engine that does not answer: down --volumes refuses and touches nothing; ps says unknown; up starts nothing', async () => {
    const before = readFileSync(stateFile(), 'utf8');
    const down = await run(['down', '--volumes', '--json'], DEAD);
    expect(down.exitCode).toBe(1);
    const { error } = parse(down.stdout);
    expect(error?.code).toBe('DOCKER.UNREACHABLE');
    expect(error?.message).toContain(DEAD.DOCKER_HOST);
    expect(error?.message).toContain(`${project}-db-1`);
    expect(error?.hint).toContain(String(process.env.DOCKER_HOST));
    // Nothing touched: data, containers, the state file; the database still answers.
    expect(readdirSync(path.join(dir, 'volumes/db/data')).length).toBeGreaterThan(0);
    expect((await containers()).map((c) => c.State)).toEqual(['running', 'running']);
    expect(readFileSync(stateFile(), 'utf8')).toBe(before);
    expect(await dbAnswers()).toEqual(['survives']);

    const ps = parse((await run(['ps', '--json'], DEAD)).stdout);
    expect(
      ps.data.services?.filter((s) => s.provider === 'docker').map((s) => [s.service, s.state, s.container]),
    ).toEqual([
      ['db', 'unknown (engine unreachable)', `${project}-db-1`],
      ['redis', 'unknown (engine unreachable)', `${project}-redis-1`],
    ]);

    // A plain down stops what it can, keeps the containers it cannot see, and says so (exit 1).
    const plain = await run(['down'], DEAD);
    expect(plain.exitCode).toBe(1);
    expect(plain.stderr).toContain('left as they are');
    expect(JSON.parse(readFileSync(stateFile(), 'utf8'))).toEqual(JSON.parse(before));

    const up = await run(['up', 'db', '--json'], DEAD);
    expect(up.exitCode).toBe(1);
    expect(parse(up.stdout).error?.code).toBe('DOCKER.UNREACHABLE');
    expect(existsSync(path.join(dir, '.difyctl', 'embedded'))).toBe(false);
    expect(await dbAnswers()).toEqual(['survives']);
  });

  it('db reset uses the recorded engine too: refused on a dead one (nothing deleted), done without DOCKER_HOST', async () => {
    const refused = await run(['db', 'reset', '--yes', '--json'], DEAD);
    expect(refused.exitCode).toBe(1);
    expect(parse(refused.stdout).error?.code).toBe('DOCKER.UNREACHABLE');
    expect(await dbAnswers()).toEqual(['survives']);
    const reset = await run(['db', 'reset', '--yes'], UNSET);
    expect(reset.exitCode, reset.stderr).toBe(0);
    await expect(dbAnswers()).rejects.toThrow(/relation "kept" does not exist/);
  });

  it('down --volumes without DOCKER_HOST uses the recorded engine: containers gone, then data deleted', async () => {
    const down = await run(['down', '--volumes'], UNSET);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toContain(`stopped ${project}-db-1`);
    expect(await containers()).toEqual([]);
    expect(existsSync(path.join(dir, 'volumes/db/data'))).toBe(false);
    const state = JSON.parse(readFileSync(stateFile(), 'utf8')) as { services: object; engine?: object };
    expect(state.services).toEqual({});
    expect(state.engine).toBeUndefined();
  });
});
