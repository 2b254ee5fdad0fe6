import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import getPort from 'get-port';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { describeDocker } from '../helpers/docker.js';
import { difyProject } from '../helpers/fixtures.js';

const SECRET_KEY = 'docker-test-secret-key-0123456789abcdef';
const docker = new Docker();
const unique = (prefix: string) => `${prefix}${randomBytes(4).toString('hex')}`;

interface Envelope {
  ok: boolean;
  data: {
    services: Array<{
      service: string;
      composeService: string;
      provider: string;
      port: number;
      reused: boolean;
      container: string;
    }>;
  } | null;
  error?: { code: string; message: string; hint?: string; details?: { logTail?: string[]; image?: string } };
}

const byProject = (project: string) =>
  docker.listContainers({ all: true, filters: { label: [`com.difyctl.project=${project}`] } });

/** Removes whatever a test left under these project labels (containers, then networks). */
async function removeProjects(...projects: string[]) {
  for (const project of projects) {
    for (const c of await byProject(project))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    for (const n of await docker.listNetworks({ filters: { label: [`com.difyctl.project=${project}`] } }))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
  }
}

describeDocker('docker provider', () => {
  describeDocker('Dify 0.15 compose file', () => {
    const project = unique('dtest015');
    const other = unique('dtestother');
    let dir: string;
    let cleanup: () => Promise<void>;
    let env: Record<string, string>;
    const run = (args: string[], extra: Record<string, string> = {}) =>
      runCli(args, { cwd: dir, env: { ...env, ...extra } });

    beforeAll(async () => {
      ({ dir, cleanup } = await difyProject('v015'));
      env = { SECRET_KEY, COMPOSE_PROJECT_NAME: project, EXPOSE_DB_PORT: String(await getPort({ host: '127.0.0.1' })) };
      // A container of another project with the same service name.
      const foreign = await docker.createContainer({
        name: `${other}-redis-1`,
        Image: 'redis:6-alpine',
        Cmd: ['redis-server'],
        Labels: {
          'com.difyctl.project': other,
          'com.difyctl.service': 'redis',
          'com.difyctl.dependency': 'redis',
          'com.docker.compose.service': 'redis',
        },
      });
      await foreign.start();
    });
    afterAll(async () => {
      await run(['down', '--volumes']).catch(() => undefined);
      await removeProjects(project, other);
      await cleanup();
    });

    it('brings db and redis up ready, and a second run reuses them', async () => {
      const up = await run(['up', 'db', 'redis', '--json']);
      expect(up.exitCode, up.stderr).toBe(0);
      const first = (JSON.parse(up.stdout) as Envelope).data!.services;
      expect(first.map((s) => [s.service, s.provider, s.container, s.reused])).toEqual([
        ['db', 'docker', `${project}-db-1`, false],
        ['redis', 'docker', `${project}-redis-1`, false],
      ]);
      expect(first[0]!.port).toBe(Number(env.EXPOSE_DB_PORT));
      const client = new pg.Client({
        host: '127.0.0.1',
        port: first[0]!.port,
        user: 'postgres',
        password: 'difyai123456',
        database: 'dify',
      });
      await client.connect();
      await client.query('CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$survives$$)');
      await client.end();
      const redis = new Redis({
        host: '127.0.0.1',
        port: first[1]!.port,
        password: 'difyai123456',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
      });
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
      redis.disconnect();

      const again = await run(['up', 'db', 'redis', '--json']);
      expect(again.exitCode, again.stderr).toBe(0);
      const second = (JSON.parse(again.stdout) as Envelope).data!.services;
      expect(second.map((s) => [s.container, s.reused, s.port])).toEqual(first.map((s) => [s.container, true, s.port]));

      const ps = JSON.parse((await run(['ps', '--json'])).stdout) as {
        data: { services: Array<Record<string, unknown>> };
      };
      expect(ps.data.services.map((s) => [s.service, s.provider, s.state, s.health, s.container])).toEqual([
        ['db', 'docker', 'running', 'healthy', `${project}-db-1`],
        ['redis', 'docker', 'running', 'healthy', `${project}-redis-1`],
      ]);
    });

    it('down removes them and keeps the data; other projects are untouched; down --volumes deletes the data', async () => {
      const down = await run(['down']);
      expect(down.exitCode, down.stderr).toBe(0);
      expect(await byProject(project)).toEqual([]);
      expect(readdirSync(path.join(dir, 'volumes/db/data')).length).toBeGreaterThan(0);
      const foreign = await byProject(other);
      expect(foreign.map((c) => c.State)).toEqual(['running']);

      const up = await run(['up', 'db', '--json']);
      expect(up.exitCode, up.stderr).toBe(0);
      const db = (JSON.parse(up.stdout) as Envelope).data!.services[0]!;
      expect(db.reused).toBe(false);
      const client = new pg.Client({
        host: '127.0.0.1',
        port: db.port,
        user: 'postgres',
        password: 'difyai123456',
        database: 'dify',
      });
      await client.connect();
      expect((await client.query('SELECT v FROM kept')).rows).toEqual([{ v: 'survives' }]);
      await client.end();

      const gone = await run(['down', '--volumes']);
      expect(gone.exitCode, gone.stderr).toBe(0);
      expect(existsSync(path.join(dir, 'volumes/db/data'))).toBe(false);
      expect(await byProject(project)).toEqual([]);
      expect((await byProject(other)).length).toBe(1);
    });

    it('an occupied EXPOSE_DB_PORT fails with STACK.PORT_IN_USE naming it', async () => {
      const holder = net.createServer();
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      const port = (holder.address() as net.AddressInfo).port;
      try {
        const up = await run(['up', 'db', '--json'], { EXPOSE_DB_PORT: String(port) });
        expect(up.exitCode).toBe(1);
        const { error } = JSON.parse(up.stdout) as Envelope;
        expect(error?.code).toBe('STACK.PORT_IN_USE');
        expect(error?.message).toContain(String(port));
        expect(error?.hint).toContain('EXPOSE_DB_PORT');
      } finally {
        holder.close();
      }
    });
  });

  describeDocker('newest Dify compose file', () => {
    const project = unique('dtestnew');
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ dir, cleanup } = await difyProject('newest'));
    });
    afterAll(async () => {
      await removeProjects(project);
      await cleanup();
    });

    it('starts db_postgres (named by its compose name) and redis, ready through their logins', async () => {
      const env = { SECRET_KEY, COMPOSE_PROJECT_NAME: project };
      const up = await runCli(['up', 'db_postgres', 'redis', '--json'], { cwd: dir, env });
      expect(up.exitCode, up.stderr).toBe(0);
      const services = (JSON.parse(up.stdout) as Envelope).data!.services;
      expect(services.map((s) => [s.service, s.composeService, s.provider, s.container])).toEqual([
        ['db', 'db_postgres', 'docker', `${project}-db_postgres-1`],
        ['redis', 'redis', 'docker', `${project}-redis-1`],
      ]);
      const info = await docker.getContainer(`${project}-db_postgres-1`).inspect();
      // Ready is the login (SPEC §3); Docker's own healthcheck may not have run yet.
      expect(['starting', 'healthy']).toContain(info.State.Health?.Status);
      expect(info.Config.Labels['com.difyctl.project']).toBe(project);
      const down = await runCli(['down', '--volumes'], { cwd: dir, env });
      expect(down.exitCode, down.stderr).toBe(0);
      expect(await byProject(project)).toEqual([]);
    });
  });

  describeDocker('failures', () => {
    const project = unique('dtestfail');
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ dir, cleanup } = await tempDir('difyctl-docker-fail-'));
    });
    afterAll(async () => {
      await removeProjects(project);
      await cleanup();
    });

    const compose = (db: string) => `services:
  api:
    image: langgenius/dify-api:1.13.3
    environment:
      MODE: api
      SECRET_KEY: ${SECRET_KEY}
      DB_HOST: db
      DB_PASSWORD: pw
  db:
${db}
`;

    it("the login is the gate: up returns while Docker's healthcheck has not run yet (SPEC §3)", async () => {
      await writeFile(
        path.join(dir, 'docker-compose.yaml'),
        compose(`    image: postgres:15-alpine
    environment:
      POSTGRES_PASSWORD: pw
      POSTGRES_DB: dify
    healthcheck:
      test: ["CMD", "pg_isready"]
      interval: 1h`),
      );
      const up = await runCli(['up', 'db', '--timeout', '60', '--json'], {
        cwd: dir,
        env: { COMPOSE_PROJECT_NAME: project },
      });
      expect(up.exitCode, up.stderr).toBe(0);
      const info = await docker.getContainer(`${project}-db-1`).inspect();
      expect(info.State.Health?.Status).toBe('starting');
      expect((await runCli(['down', '--volumes'], { cwd: dir, env: { COMPOSE_PROJECT_NAME: project } })).exitCode).toBe(
        0,
      );
    });

    it('a db container that reports unhealthy fails at once with DOCKER.CONTAINER_FAILED and its log tail', async () => {
      // Its server listens on 5433 inside: the login on 5432 never works, the healthcheck never passes.
      await writeFile(
        path.join(dir, 'docker-compose.yaml'),
        compose(`    image: postgres:15-alpine
    command: ["postgres", "-p", "5433"]
    environment:
      POSTGRES_PASSWORD: pw
      POSTGRES_DB: dify
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      retries: 1`),
      );
      const up = await runCli(['up', 'db', '--timeout', '60', '--json'], {
        cwd: dir,
        env: { COMPOSE_PROJECT_NAME: project },
      });
      expect(up.exitCode, up.stderr).toBe(1);
      const { error } = JSON.parse(up.stdout) as Envelope;
      expect(error?.code).toBe('DOCKER.CONTAINER_FAILED');
      expect(error?.message).toBe(`container ${project}-db-1 reports unhealthy`);
      expect(error?.details?.logTail?.join('\n')).toMatch(/database system/);
      // A failed up removes the container it created in that run.
      expect(await byProject(project)).toEqual([]);
      await runCli(['down', '--volumes'], { cwd: dir, env: { COMPOSE_PROJECT_NAME: project } });
    });

    it('a db that never answers its login still times out with exit 3 and the container log tail', async () => {
      await writeFile(
        path.join(dir, 'docker-compose.yaml'),
        compose(`    image: postgres:15-alpine
    command: ["postgres", "-p", "5433"]
    environment:
      POSTGRES_PASSWORD: pw
      POSTGRES_DB: dify`),
      );
      const up = await runCli(['up', 'db', '--timeout', '15', '--json'], {
        cwd: dir,
        env: { COMPOSE_PROJECT_NAME: project },
      });
      expect(up.exitCode, up.stderr).toBe(3);
      const { error } = JSON.parse(up.stdout) as Envelope;
      expect(error?.code).toBe('STACK.NOT_READY');
      expect(error?.message).toMatch(/db \(docker, 127\.0\.0\.1:\d+\) did not become ready within 15 s/);
      expect(error?.details?.logTail?.join('\n')).toMatch(/database system/);
      expect(error?.hint).toContain('difyctl doctor --only db.connect');
      expect(await byProject(project)).toEqual([]);
      await runCli(['down', '--volumes'], { cwd: dir, env: { COMPOSE_PROJECT_NAME: project } });
    });

    it("down --volumes deletes the db data, never a read-only bind mount (the user's init script)", async () => {
      await mkdir(path.join(dir, 'init'), { recursive: true });
      await writeFile(path.join(dir, 'init', 'schema.sql'), 'SELECT 1;\n');
      await writeFile(
        path.join(dir, 'docker-compose.yaml'),
        compose(`    image: postgres:15-alpine
    environment:
      POSTGRES_PASSWORD: pw
      POSTGRES_DB: dify
    volumes:
      - ./volumes/db/data:/var/lib/postgresql/data
      - ./init/schema.sql:/docker-entrypoint-initdb.d/schema.sql:ro`),
      );
      const env = { COMPOSE_PROJECT_NAME: project };
      const up = await runCli(['up', 'db'], { cwd: dir, env });
      expect(up.exitCode, up.stderr).toBe(0);
      const down = await runCli(['down', '--volumes'], { cwd: dir, env });
      expect(down.exitCode, down.stderr).toBe(0);
      expect(existsSync(path.join(dir, 'volumes/db/data'))).toBe(false);
      expect(readFileSync(path.join(dir, 'init', 'schema.sql'), 'utf8')).toBe('SELECT 1;\n');
    });

    it('another checkout with the same project name keeps its container: up refuses it, down leaves it', async () => {
      await writeFile(
        path.join(dir, 'docker-compose.yaml'),
        compose(`    image: postgres:15-alpine
    environment:
      POSTGRES_PASSWORD: pw`),
      );
      const elsewhere = await docker.createContainer({
        name: `${project}-db-1`,
        Image: 'postgres:15-alpine',
        Labels: {
          'com.difyctl.project': project,
          'com.difyctl.service': 'db',
          'com.difyctl.dependency': 'db',
          'com.difyctl.project-dir': '/srv/other-checkout/docker',
        },
      });
      try {
        const env = { COMPOSE_PROJECT_NAME: project };
        const up = await runCli(['up', 'db', '--provider', 'docker', '--json'], { cwd: dir, env });
        expect(up.exitCode).toBe(1);
        expect((JSON.parse(up.stdout) as Envelope).error?.code).toBe('DOCKER.NAME_CONFLICT');
        const ps = JSON.parse((await runCli(['ps', '--json'], { cwd: dir, env })).stdout) as {
          data: { services: Array<{ service: string; container?: string }> };
        };
        expect(ps.data.services.find((s) => s.service === 'db')?.container).toBeUndefined();
        expect((await runCli(['down', '--volumes'], { cwd: dir, env })).exitCode).toBe(0);
        expect((await elsewhere.inspect()).Config.Labels['com.difyctl.project-dir']).toBe('/srv/other-checkout/docker');
      } finally {
        await elsewhere.remove({ force: true });
      }
    });

    it('an image that is absent and cannot be pulled fails with DOCKER.PULL_FAILED naming it', async () => {
      await writeFile(
        path.join(dir, 'docker-compose.yaml'),
        compose(`    image: difyctl-test/absent-image:never
    environment:
      POSTGRES_PASSWORD: pw`),
      );
      const up = await runCli(['up', 'db', '--provider', 'docker', '--json'], {
        cwd: dir,
        env: { COMPOSE_PROJECT_NAME: project },
      });
      expect(up.exitCode).toBe(1);
      const { error } = JSON.parse(up.stdout) as Envelope;
      expect(error?.code).toBe('DOCKER.PULL_FAILED');
      expect(error?.message).toContain('difyctl-test/absent-image:never');
    });
  });
});
