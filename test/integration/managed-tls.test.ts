import { chown, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import { createPool } from '../../src/server/db.js';
import { silentLogger } from '../../src/server/logger.js';
import { openBackends, type Backends, type Task } from '../../src/server/store/index.js';
import { makeTestCertificates } from '../helpers/tls-certs.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { startTlsRedis, type TlsRedis } from '../helpers/redis-topologies.js';
import { ADMIN, migratedDatabase, serverEnv, settingsFor } from './server-fixtures.js';
import { waitFor } from './server-serve.js';

let certs: string;
let pg: TestPostgres;
let plainPg: TestPostgres;
let redis: TlsRedis;
const closers: Array<() => Promise<unknown>> = [];

/** A CA, a second CA, and a server certificate for 127.0.0.1 signed by the first (owned by postgres when root). */
async function makeCerts(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'difyctl-pg-tls-'));
  const file = (name: string) => path.join(dir, name);
  await makeTestCertificates(dir);
  if (process.getuid?.() === 0) {
    const [uid, gid] = await Promise.all([execa('id', ['-u', 'postgres']), execa('id', ['-g', 'postgres'])]);
    for (const name of ['.', 'server.pem', 'server.key'])
      await chown(file(name), Number(uid.stdout), Number(gid.stdout));
  }
  return dir;
}

beforeAll(async () => {
  certs = await makeCerts();
  [pg, plainPg, redis] = await Promise.all([
    startPostgres({
      serverArgs: [
        '-c',
        'ssl=on',
        '-c',
        `ssl_cert_file=${path.join(certs, 'server.pem')}`,
        '-c',
        `ssl_key_file=${path.join(certs, 'server.key')}`,
      ],
    }),
    startPostgres(),
    startTlsRedis(),
  ]);
}, 60_000);
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await Promise.all([pg?.stop(), plainPg?.stop(), redis?.stop()]);
  if (certs) await rm(certs, { recursive: true, force: true });
});

describe('PostgreSQL over TLS (DB_EXTRAS)', () => {
  const sslOf = async (extras: string): Promise<{ ssl: boolean; statementTimeout: string }> => {
    const { settings } = settingsFor(serverEnv({ db: pg, extra: { DB_EXTRAS: extras } }));
    const pool = createPool({ settings, logger: silentLogger() });
    try {
      const { rows } = await pool.query<{ ssl: boolean; statement_timeout: string }>(
        "SELECT ssl, current_setting('statement_timeout') AS statement_timeout FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
      );
      return { ssl: rows[0]?.ssl ?? false, statementTimeout: rows[0]?.statement_timeout ?? '' };
    } finally {
      await pool.end();
    }
  };

  it('encrypts with sslmode=require, checks the CA and the host name with verify-full, and applies options', async () => {
    expect((await sslOf('')).ssl).toBe(false);
    expect((await sslOf('sslmode=require')).ssl).toBe(true);
    const full = await sslOf(
      `sslmode=verify-full&sslrootcert=${path.join(certs, 'ca.pem')}&options=-c statement_timeout=4s`,
    );
    expect(full).toEqual({ ssl: true, statementTimeout: '4s' });
    await expect(sslOf(`sslmode=verify-full&sslrootcert=${path.join(certs, 'other-ca.pem')}`)).rejects.toThrow(
      /certificate/i,
    );
  });

  it('fails verify-ca against a server without TLS, instead of falling back to plain text', async () => {
    const { settings } = settingsFor(
      serverEnv({ db: plainPg, extra: { DB_EXTRAS: `sslmode=verify-ca&sslrootcert=${path.join(certs, 'ca.pem')}` } }),
    );
    const pool = createPool({ settings, logger: silentLogger() });
    await expect(pool.query('SELECT 1')).rejects.toThrow(/SSL/i);
    await pool.end();
  });
});

describe('up and migrate on a PostgreSQL over TLS (DB_EXTRAS)', () => {
  it('attaches and migrates with verify-full and the CA, and fails with DB.TLS_FAILED naming DB_EXTRAS for another CA', async () => {
    const { dir, cleanup } = await tempDir('difyctl-pg-tls-up-');
    closers.push(cleanup);
    const db = await pg.createDatabase();
    const env = (ca: string) => ({
      SECRET_KEY: 'managed-tls-test-secret-key-0123456789ab',
      DOCKER_HOST: 'unix:///nonexistent/difyctl-test/docker.sock',
      ...pg.env(db.database),
      DB_EXTRAS: `sslmode=verify-full&sslrootcert=${path.join(certs, ca)}`,
    });
    const up = await runCli(['up', 'db', '--provider', 'external', '--json'], { cwd: dir, env: env('ca.pem') });
    expect(up.exitCode, up.stdout + up.stderr).toBe(0);
    const migrate = await runCli(['migrate', 'up', '--json'], { cwd: dir, env: env('ca.pem') });
    expect(migrate.exitCode, migrate.stdout + migrate.stderr).toBe(0);
    expect(
      (await pg.exec<{ t: string | null }>(`SELECT to_regclass('accounts')::text AS t`, db.database)).rows[0]?.t,
    ).toBe('accounts');
    // migrate connects over TLS too: a CA that did not sign the server's certificate is refused.
    expect((await runCli(['migrate', 'status', '--json'], { cwd: dir, env: env('other-ca.pem') })).exitCode).not.toBe(
      0,
    );
    const refused = await runCli(['up', 'db', '--provider', 'external', '--json'], {
      cwd: dir,
      env: env('other-ca.pem'),
    });
    expect(refused.exitCode).toBe(1);
    const { error } = JSON.parse(refused.stdout) as { error?: { code: string; hint?: string } };
    expect(error?.code).toBe('DB.TLS_FAILED');
    expect(error?.hint).toContain('DB_EXTRAS');
  }, 60_000);
});

describe('Redis over TLS (REDIS_USE_SSL)', () => {
  it('serves a login and runs a queued task over TLS with the CA checked', async () => {
    const db = await migratedDatabase(plainPg);
    const server = settingsFor(serverEnv({ db, extra: redis.env() }));
    const app: DifyApp = await createApp({ settings: server.settings, redisEnabled: true });
    closers.push(() => app.close());
    expect((await app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({
      status: 'healthy',
      redis: 'ok',
    });
    expect((await app.inject({ method: 'POST', url: '/console/api/setup', payload: ADMIN })).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/console/api/login', payload: ADMIN })).statusCode).toBe(200);

    // openBackends needs a pool only for the PostgreSQL fallback; with Redis on, none is used.
    const backends: Backends = await openBackends({
      settings: server.settings,
      redisEnabled: true,
      pool: undefined as never,
      logger: silentLogger(),
    });
    closers.push(() => Promise.allSettled([backends.queue.close(2000), backends.store.close()]));
    const ran: Task[] = [];
    await backends.queue.consume({ queues: ['mail'], concurrency: 1, handler: async (task) => void ran.push(task) });
    const id = await backends.queue.enqueue('mail', 'over-tls', {});
    await waitFor(async () => (ran.length ? true : undefined), { timeoutMs: 10_000, what: 'the task over rediss://' });
    expect(ran[0]?.id).toBe(id);
  }, 30_000);

  it('refuses a server whose certificate another CA signed: /health reports Redis, not a pass', async () => {
    const db = await migratedDatabase(plainPg);
    const server = settingsFor(serverEnv({ db, extra: { ...redis.env(), REDIS_SSL_CA_CERTS: redis.otherCaFile } }));
    const app: DifyApp = await createApp({ settings: server.settings, redisEnabled: true });
    closers.push(() => app.close());
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({ redis: 'error' });
  }, 30_000);
});
