import { chmod, cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import getPort from 'get-port';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO_ROOT, baseEnv, runCli, tempDir } from '../helpers/cli.js';
import { startEmbeddedPostgres } from '../../src/stack/providers/embedded/postgres.js';
import { locatePostgresBinaries } from '../../src/stack/providers/embedded/binaries.js';
import { pidAlive } from '../../src/supervision/process.js';
import { stopEmbeddedPostgres } from '../../src/stack/providers/embedded/postgres-supervision.js';
import { loadConfig } from '../../src/config/resolve.js';
import { createStack } from '../../src/stack/stack.js';

const SECRET_KEY = 'embedded-test-secret-key-0123456789abcdef';
/** No Docker (a socket that does not exist) and no redis-server (a PATH without it). */
const noDocker = { DOCKER_HOST: 'unix:///nonexistent/difyctl-test/docker.sock', PATH: '/nonexistent-bin', SECRET_KEY };

interface UpJson {
  ok: boolean;
  data: {
    services: Array<{
      service: string;
      provider: string;
      host: string | null;
      port: number | null;
      reused: boolean;
      pid: number | null;
    }>;
  } | null;
  error?: { code: string; message: string; hint?: string };
}

async function query(conn: { port: number; user: string; password: string; database: string }, sql: string) {
  const client = new pg.Client({ host: '127.0.0.1', ...conn });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('embedded provider: no Docker, no redis-server', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: Record<string, string>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('difyctl-embedded-'));
    await chmod(dir, 0o755); // as root, PostgreSQL runs as `postgres`, which must enter the project dir
    env = {
      ...noDocker,
      DB_USERNAME: 'difyuser',
      DB_PASSWORD: 'embedded-pw',
      DB_DATABASE: 'appdb',
      DB_PORT: String(await getPort({ host: '127.0.0.1' })),
    };
  });
  afterAll(async () => {
    await runCli(['down', '--volumes'], { cwd: dir, env });
    await cleanup();
  });

  it('starts PostgreSQL ready with the configured credentials, reports redis as the PostgreSQL fallback', async () => {
    const up = await runCli(['up', 'db', 'redis', '--json'], { cwd: dir, env });
    expect(up.exitCode, up.stderr).toBe(0);
    const json = JSON.parse(up.stdout) as UpJson;
    const db = json.data!.services.find((s) => s.service === 'db')!;
    expect(db).toMatchObject({ provider: 'embedded', host: '127.0.0.1', port: Number(env.DB_PORT), reused: false });
    expect(json.data!.services.find((s) => s.service === 'redis')).toMatchObject({ provider: 'none', host: null });
    expect(existsSync(path.join(dir, '.difyctl/embedded/postgres/PG_VERSION'))).toBe(true);
    await query(
      { port: db.port!, user: 'difyuser', password: 'embedded-pw', database: 'appdb' },
      'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$survives$$)',
    );
    // The server outlives the CLI process that started it.
    expect(await pidAlive(db.pid!)).toBe(true);

    const human = await runCli(['up', 'db'], { cwd: dir, env });
    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/db\s+embedded\s+127\.0\.0\.1:\d+\s+pid \d+\s+reused/);

    const ps = JSON.parse((await runCli(['ps', '--json'], { cwd: dir, env })).stdout) as {
      data: { services: Array<Record<string, unknown>> };
    };
    expect(ps.data.services[0]).toMatchObject({
      service: 'db',
      provider: 'embedded',
      state: 'running',
      health: 'healthy',
      pid: db.pid,
    });
    expect(ps.data.services[1]).toMatchObject({ service: 'redis', provider: 'none', state: 'fallback' });
  });

  it('keeps the data across down and a new start; down --volumes deletes it', async () => {
    const down = await runCli(['down'], { cwd: dir, env });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toContain('stopped embedded postgres');
    expect(existsSync(path.join(dir, '.difyctl/embedded/postgres/PG_VERSION'))).toBe(true);

    const up = JSON.parse((await runCli(['up', 'db', '--json'], { cwd: dir, env })).stdout) as UpJson;
    const db = up.data!.services[0]!;
    expect(db.reused).toBe(false);
    const rows = await query(
      { port: db.port!, user: 'difyuser', password: 'embedded-pw', database: 'appdb' },
      'SELECT v FROM kept',
    );
    expect(rows.rows).toEqual([{ v: 'survives' }]);

    const gone = await runCli(['down', '--volumes'], { cwd: dir, env });
    expect(gone.exitCode, gone.stderr).toBe(0);
    expect(await pidAlive(db.pid!)).toBe(false);
    expect(existsSync(path.join(dir, '.difyctl/embedded/postgres'))).toBe(false);
  });

  it('`up db redis` takes a free port when the configured DB_PORT is taken', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(Number(env.DB_PORT), '127.0.0.1', resolve));
    try {
      const up = await runCli(['up', 'db', 'redis', '--json'], { cwd: dir, env });
      expect(up.exitCode, up.stderr).toBe(0);
      const json = JSON.parse(up.stdout) as UpJson;
      expect(json.ok).toBe(true);
      // The configured DB_PORT is taken: the embedded server took a free one instead.
      const ps = JSON.parse((await runCli(['ps', '--json'], { cwd: dir, env })).stdout) as {
        data: { services: Array<{ state: string; address: string }> };
      };
      expect(ps.data.services[0]?.state).toBe('running');
      expect(ps.data.services[0]?.address).not.toBe(`127.0.0.1:${env.DB_PORT}`);
    } finally {
      holder.close();
      await runCli(['down', '--volumes'], { cwd: dir, env });
    }
  });
});

describe('embedded PostgreSQL when npm skipped the binary package install script', () => {
  it('restores the missing library links and starts', async () => {
    const { dir, cleanup } = await tempDir('difyctl-embedded-links-');
    await chmod(dir, 0o755);
    const real = await locatePostgresBinaries();
    const copy = path.join(dir, 'pkg', 'native');
    await mkdir(path.dirname(copy), { recursive: true });
    await execa('cp', ['-al', real.nativeDir, copy]); // hard links: instant, the original is not touched
    const lib = path.join(copy, 'lib');
    const links = (await readdir(lib, { withFileTypes: true })).filter((e) => e.isSymbolicLink());
    for (const link of links) await rm(path.join(lib, link.name));
    expect(links.length).toBeGreaterThan(0);
    try {
      const events: string[] = [];
      const started = await startEmbeddedPostgres({
        projectDir: dir,
        user: 'postgres',
        password: 'links-pw',
        preferredPort: await getPort({ host: '127.0.0.1' }),
        report: (e) => events.push(e.type === 'warning' ? e.message : e.type),
        binaries: {
          nativeDir: copy,
          postgres: path.join(copy, 'bin', 'postgres'),
          initdb: path.join(copy, 'bin', 'initdb'),
        },
      });
      expect(events.some((e) => e.includes(`restored ${links.length} library links`))).toBe(true);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ok = await query(
          { port: started.port, user: 'postgres', password: 'links-pw', database: 'postgres' },
          'SELECT 1 AS one',
        ).then(
          () => true,
          () => false,
        );
        if (ok) break;
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      // With its supervisor, which would start it again.
      await stopEmbeddedPostgres({ projectDir: dir });
      await cleanup();
    }
  });
});

describe('a dependency that never becomes ready', () => {
  it('fails with exit 3, STACK.NOT_READY and its log tail within the timeout', async () => {
    const { dir, cleanup } = await tempDir('difyctl-never-ready-');
    try {
      // A redis-server that starts, logs, and never listens.
      const bin = path.join(dir, 'bin');
      await mkdir(bin);
      await writeFile(
        path.join(bin, 'redis-server'),
        '#!/bin/sh\ntrap \'exit 0\' TERM\necho "fake redis: loading dataset"\necho "fake redis: still loading"\nwhile :; do sleep 0.2; done\n',
        { mode: 0o755 },
      );
      const env = {
        ...noDocker,
        PATH: `${bin}:/usr/bin:/bin`,
        REDIS_PORT: String(await getPort({ host: '127.0.0.1' })),
      };
      const up = await runCli(['up', 'redis', '--timeout', '2'], { cwd: dir, env });
      expect(up.exitCode, up.stderr).toBe(3);
      expect(up.stderr).toContain('[STACK.NOT_READY]');
      expect(up.stderr).toContain('redis (embedded, 127.0.0.1:');
      expect(up.stderr).toContain('fake redis: still loading');
      expect(up.stderr).toContain('difyctl doctor --only redis');
      // The failed run stopped the process it had started.
      expect(up.stderr).toContain('created by this failed run');
      const ps = JSON.parse((await runCli(['ps', '--json'], { cwd: dir, env })).stdout) as {
        data: { services: Array<{ service: string; state: string }> };
      };
      expect(ps.data.services.find((s) => s.service === 'redis')?.state).toBe('absent');
    } finally {
      await runCli(['down'], { cwd: dir, env: noDocker });
      await cleanup();
    }
  });
});

describe('Ctrl-C while a dependency starts', () => {
  async function fakeRedis(dir: string) {
    const pidFile = path.join(dir, 'fake-redis.pid');
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    await writeFile(
      path.join(bin, 'redis-server'),
      `#!/bin/sh\necho $$ > ${pidFile}\ntrap 'exit 0' TERM\nwhile :; do sleep 0.2; done\n`,
      { mode: 0o755 },
    );
    const env = { ...noDocker, PATH: `${bin}:/usr/bin:/bin`, REDIS_PORT: String(await getPort({ host: '127.0.0.1' })) };
    // The shell creates the file before `echo` writes to it: the pid is there once its line is whole.
    const pid = async () => {
      for (;;) {
        const line = existsSync(pidFile) ? await readFile(pidFile, 'utf8') : '';
        if (line.endsWith('\n')) return Number(line);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    return { env, pid };
  }

  it('`up redis` interrupted: exit 130, the process it started is stopped', async () => {
    const { dir, cleanup } = await tempDir('difyctl-interrupt-cli-');
    const redis = await fakeRedis(dir);
    const child = execa(process.execPath, [BIN, 'up', 'redis', '--timeout', '60'], {
      cwd: dir,
      env: { ...baseEnv(), ...redis.env, NO_COLOR: '1' },
      extendEnv: false,
      reject: false,
    });
    try {
      const pid = await redis.pid();
      child.kill('SIGINT');
      const result = await child;
      expect(result.exitCode, String(result.stderr)).toBe(130);
      expect(String(result.stderr)).toContain('CLI.INTERRUPTED');
      expect(await pidAlive(pid)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await runCli(['down'], { cwd: dir, env: noDocker });
      await cleanup();
    }
  });

  it('undo interrupts the readiness wait and stops the process this run started', async () => {
    const { dir, cleanup } = await tempDir('difyctl-interrupt-');
    const redis = await fakeRedis(dir);
    const stack = createStack({
      config: loadConfig({ projectDir: dir, env: redis.env, mode: 'api' }),
      env: redis.env,
      timeoutMs: 60_000,
    });
    const up = stack.up(['redis']);
    up.catch(() => undefined);
    const pid = await redis.pid();
    try {
      expect(await pidAlive(pid)).toBe(true);
      await stack.undo();
      // Not after the 60 s timeout: at once, and nothing this run started is left.
      await expect(up).rejects.toMatchObject({ code: 'CLI.INTERRUPTED' });
      expect(await pidAlive(pid)).toBe(false);
    } finally {
      if (await pidAlive(pid)) process.kill(pid, 'SIGKILL');
      await cleanup();
    }
  });
});

describe('provider choice and usage errors', () => {
  it('says why a forced provider cannot serve, and rejects unknown services and an empty DB_PASSWORD', async () => {
    const { dir, cleanup } = await tempDir('difyctl-forced-');
    try {
      const env = { ...noDocker, DB_PASSWORD: 'pw' };
      const noCompose = JSON.parse(
        (await runCli(['up', 'db', '--provider', 'docker', '--json'], { cwd: dir, env })).stdout,
      ) as UpJson;
      expect(noCompose.error?.code).toBe('STACK.PROVIDER_UNAVAILABLE');

      const empty = await runCli(['up', 'db', '--provider', 'embedded', '--json'], {
        cwd: dir,
        env: { ...env, DB_PASSWORD: '' },
      });
      const emptyJson = JSON.parse(empty.stdout) as UpJson;
      expect(emptyJson.error?.code).toBe('CONFIG.INVALID');
      expect(emptyJson.error?.hint).toContain('DB_PASSWORD');
      expect(existsSync(path.join(dir, '.difyctl/embedded/postgres'))).toBe(false);

      // Nothing starts on an invalid configuration, but ps and down still work on it.
      const invalid = { ...env, SECRET_KEY: '' };
      const refused = await runCli(['up', 'db'], { cwd: dir, env: invalid });
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toContain('SECRET_KEY');
      // Nothing written (the empty .difyctl is from the runs above: they took the project lock).
      expect(await readdir(path.join(dir, '.difyctl')).catch(() => [])).toEqual([]);
      expect((await runCli(['ps'], { cwd: dir, env: invalid })).exitCode).toBe(0);
      expect((await runCli(['down'], { cwd: dir, env: invalid })).exitCode).toBe(0);

      await cp(path.join(REPO_ROOT, 'templates/docker-compose.yaml'), path.join(dir, 'docker-compose.yaml'));
      const noEngine = await runCli(['up', 'db', '--provider', 'docker', '--json'], { cwd: dir, env });
      expect(noEngine.exitCode).toBe(1);
      const unreachable = JSON.parse(noEngine.stdout) as UpJson;
      expect(unreachable.error?.code).toBe('DOCKER.UNREACHABLE');
      expect(unreachable.error?.message).toContain('DOCKER_HOST');

      const unknown = await runCli(['up', 'nginx'], { cwd: dir, env });
      expect(unknown.exitCode).toBe(2);
      expect(unknown.stderr).toContain('[CONFIG.UNKNOWN_SERVICE]');
    } finally {
      await cleanup();
    }
  });
});
