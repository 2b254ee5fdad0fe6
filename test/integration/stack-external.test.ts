import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const base = {
  SECRET_KEY: 'external-test-secret-key-0123456789abcdef',
  DOCKER_HOST: 'unix:///nonexistent/difyctl-test/docker.sock',
};

interface Envelope {
  ok: boolean;
  data: {
    services: Array<{
      service: string;
      provider: string;
      address: string | null;
      reused: boolean;
      pid: number | null;
      container: string | null;
    }>;
  } | null;
  error?: { code: string; message: string; hint?: string };
}

describe('external provider: servers already running', () => {
  let pg: TestPostgres;
  let redis: TestRedis;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    ({ dir, cleanup } = await tempDir('difyctl-external-'));
  });
  afterAll(async () => {
    await Promise.all([pg?.stop(), redis?.stop(), cleanup?.()]);
  });

  const run = (args: string[], env: Record<string, string> = {}) =>
    runCli(args, { cwd: dir, env: { ...base, ...pg.env(), ...redis.env(), ...env } });

  it('attaches to both and starts nothing; down leaves them running', async () => {
    const up = await run(['up', 'db', 'redis', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const json = JSON.parse(up.stdout) as Envelope;
    expect(json.data!.services).toEqual([
      expect.objectContaining({
        service: 'db',
        provider: 'external',
        address: `127.0.0.1:${pg.port}`,
        pid: null,
        container: null,
      }),
      expect.objectContaining({
        service: 'redis',
        provider: 'external',
        address: `127.0.0.1:${redis.port}`,
        pid: null,
        container: null,
      }),
    ]);
    expect(existsSync(path.join(dir, '.difyctl/embedded'))).toBe(false);
    const ps = JSON.parse((await run(['ps', '--json'])).stdout) as {
      data: { services: Array<Record<string, unknown>> };
    };
    expect(ps.data.services.map((s) => [s.provider, s.state])).toEqual([
      ['external', 'reachable'],
      ['external', 'reachable'],
    ]);

    const down = await run(['down']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toContain('nothing to stop');
    expect((await pg.exec('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(redis.process.exitCode).toBeNull();
  });

  it('a wrong DB_PASSWORD fails with DB.AUTH_FAILED naming DB_PASSWORD', async () => {
    const up = await run(['up', 'db', '--json'], { DB_PASSWORD: 'not-the-password' });
    expect(up.exitCode).toBe(1);
    const { error } = JSON.parse(up.stdout) as Envelope;
    expect(error?.code).toBe('DB.AUTH_FAILED');
    expect(error?.hint).toContain('DB_PASSWORD');
    expect(up.stdout).not.toContain('not-the-password');
  });

  it('a missing database fails with DB.DATABASE_MISSING naming DB_DATABASE', async () => {
    const up = await run(['up', 'db', '--json'], { DB_DATABASE: 'no_such_db' });
    expect(up.exitCode).toBe(1);
    const { error } = JSON.parse(up.stdout) as Envelope;
    expect(error?.code).toBe('DB.DATABASE_MISSING');
    expect(error?.message).toContain('no_such_db');
    expect(error?.hint).toContain('DB_DATABASE');
  });

  it('a wrong REDIS_PASSWORD fails with REDIS.AUTH_FAILED naming REDIS_PASSWORD', async () => {
    const up = await run(['up', 'redis', '--json'], { REDIS_PASSWORD: 'wrong-redis-pw' });
    expect(up.exitCode).toBe(1);
    const { error } = JSON.parse(up.stdout) as Envelope;
    expect(error?.code).toBe('REDIS.AUTH_FAILED');
    expect(error?.hint).toContain('REDIS_PASSWORD');
  });

  it('an unreachable host fails with NET.HOST_NOT_FOUND naming DB_HOST', async () => {
    const up = await run(['up', 'db', '--json'], { DB_HOST: 'db.difyctl-test.invalid' });
    expect(up.exitCode).toBe(1);
    const { error } = JSON.parse(up.stdout) as Envelope;
    expect(error?.code).toBe('NET.HOST_NOT_FOUND');
    expect(error?.hint).toContain('DB_HOST');
  });

  it('a refused connection with --provider external fails with NET.CONNECTION_REFUSED naming DB_HOST/DB_PORT', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    const up = await run(['up', 'db', '--provider', 'external', '--json'], { DB_PORT: String(port) });
    expect(up.exitCode).toBe(1);
    const { error } = JSON.parse(up.stdout) as Envelope;
    expect(error?.code).toBe('NET.CONNECTION_REFUSED');
    expect(error?.message).toContain(`127.0.0.1:${port}`);
    expect(error?.hint).toContain('DB_PORT');
  });

  it('a server that accepts connections but never answers fails with exit 3 within the timeout', async () => {
    const silent = net.createServer(() => undefined); // accepts, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const up = await run(['up', 'db', '--timeout', '1.5', '--json'], { DB_PORT: String(port) });
      expect(up.exitCode).toBe(3);
      const { error } = JSON.parse(up.stdout) as Envelope;
      expect(error?.code).toBe('STACK.NOT_READY');
      expect(error?.message).toContain(`db (external, 127.0.0.1:${port})`);
    } finally {
      silent.close();
    }
  });
});
