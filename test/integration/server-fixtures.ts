/**
 * Shared setup of the server tests (test/integration/server-*.test.ts): a real redis-server on a
 * free port, a migrated database on the shared test PostgreSQL, and the settings the server reads.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { settingsFromEnv } from '../../src/server/settings.js';
import { createMigrator } from '../../src/db/migrator.js';
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type PostgresConnection, type TestPostgres } from '../helpers/postgres.js';
import { startRedis as startTestRedis } from '../helpers/redis.js';

export interface TestRedis {
  port: number;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** A throwaway redis-server without a password (the shared helper's), in the shape these tests use. */
export async function startRedis(): Promise<TestRedis> {
  const redis = await startTestRedis({ password: '' });
  return {
    port: redis.port,
    env: {
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      REDIS_PASSWORD: '',
      REDIS_DB: '0',
      CELERY_BROKER_URL: `redis://127.0.0.1:${redis.port}/1`,
    },
    stop: redis.stop,
  };
}

/** A fresh database at head (schema + seed) through the migrator. */
export async function migratedDatabase(pg: TestPostgres): Promise<PostgresConnection> {
  const db = await pg.createDatabase();
  await createMigrator({
    connection: { host: db.host, port: db.port, user: db.user, password: db.password, database: db.database },
  }).up();
  return db;
}

export const SECRET_KEY = 'test-secret-key-0123456789abcdef0123456789';

/** The environment `serve` would get: a database, Redis or none, quiet logs, small pools. */
export function serverEnv(options: {
  db: PostgresConnection;
  redis?: TestRedis;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    SECRET_KEY,
    DEPLOY_ENV: 'TESTING',
    LOG_LEVEL: 'WARNING',
    DB_HOST: options.db.host,
    DB_PORT: String(options.db.port),
    DB_USERNAME: options.db.user,
    DB_PASSWORD: options.db.password,
    DB_DATABASE: options.db.database,
    SQLALCHEMY_POOL_SIZE: '5',
    SQLALCHEMY_MAX_OVERFLOW: '2',
    ...(options.redis ? options.redis.env : { DIFYCTL_REDIS: 'none' }),
    ...options.extra,
  };
}

export function settingsFor(env: Record<string, string>) {
  return settingsFromEnv(env);
}

export const ADMIN = { email: 'admin@example.com', name: 'Admin', password: 'correct horse battery' };

/**
 * A PostgreSQL that a test can stop and start again on the same port and data (pg_ctl), to watch
 * the server live through an outage. test/helpers/postgres.ts's server cannot be restarted.
 */
export interface RestartablePostgres {
  connection: PostgresConnection;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const { execa } = await import('execa');
  const { chown, writeFile } = await import('node:fs/promises');
  const pgBin = process.env.DIFYCTL_PG_BIN ?? '/usr/lib/postgresql/15/bin';
  const root = process.getuid?.() === 0;
  const run = (bin: string, args: string[]) =>
    root
      ? execa('runuser', ['-u', 'postgres', '--', path.join(pgBin, bin), ...args])
      : execa(path.join(pgBin, bin), args);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'difyctl-pgr-'));
  const data = path.join(dir, 'data');
  const password = 'outage-test-password';
  await writeFile(path.join(dir, 'pw'), `${password}\n`);
  if (root) {
    const ids = await Promise.all([execa('id', ['-u', 'postgres']), execa('id', ['-g', 'postgres'])]);
    await chown(dir, Number(ids[0].stdout), Number(ids[1].stdout));
    await chown(path.join(dir, 'pw'), Number(ids[0].stdout), Number(ids[1].stdout));
  }
  await run('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    `--pwfile=${path.join(dir, 'pw')}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--no-locale',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const port = await getPort({ host: '127.0.0.1' });
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`;
  const start = async (): Promise<void> => {
    await run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', opts, '-w', '-t', '30', 'start']);
  };
  const stop = async (): Promise<void> => {
    await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  };
  await start();
  // On an abrupt exit of the test process: only synchronous work runs in an exit handler.
  const kill = (): void => {
    const args = ['-D', data, '-m', 'immediate', 'stop'];
    spawnSync(
      root ? 'runuser' : path.join(pgBin, 'pg_ctl'),
      root ? ['-u', 'postgres', '--', path.join(pgBin, 'pg_ctl'), ...args] : args,
      { stdio: 'ignore' },
    );
  };
  process.once('exit', kill);
  const connection: PostgresConnection = {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
  };
  return {
    connection,
    stop,
    start,
    destroy: async () => {
      process.removeListener('exit', kill);
      await stop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The PostgreSQL and Redis a server test file shares: started before its tests, stopped after.
 * `use` receives them once they run (`useServers((s) => ({ pg, redis } = s))`).
 */
export function useServers(use: (servers: { pg: TestPostgres; redis: TestRedis }) => void): void {
  let servers: { pg: TestPostgres; redis: TestRedis } | undefined;
  beforeAll(async () => {
    const [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    servers = { pg, redis };
    use(servers);
  });
  afterAll(async () => {
    await Promise.all([servers?.pg.stop(), servers?.redis.stop()]);
  });
}
