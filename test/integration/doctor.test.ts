import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator } from '../../src/db/migrator.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let pg: TestPostgres;
let redis: TestRedis;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis({ password: 'redis-pw' })]);
});
afterAll(async () => {
  await Promise.all(cleanups.map((c) => c()));
  await Promise.all([pg?.stop(), redis?.stop()]);
});

interface Check {
  id: string;
  status: string;
  finding: string;
  fix?: string;
}

async function doctorWith(
  overrides: Record<string, string>,
): Promise<{ exitCode: number; checks: Record<string, Check>; stdout: string }> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const env = {
    DEPLOY_ENV: 'PRODUCTION',
    SECRET_KEY: 'a-fresh-secret-key-that-is-long-enough-0123456789',
    VECTOR_STORE: 'pgvector',
    PGVECTOR_HOST: '127.0.0.1',
    DIFY_PORT: String(await getPort()),
    SQLALCHEMY_POOL_SIZE: '5',
    SQLALCHEMY_MAX_OVERFLOW: '5',
    ...redis.env(),
    ...overrides,
  };
  await writeFile(
    path.join(dir, '.env'),
    `${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  const result = await runCli(['doctor', '--json'], { cwd: dir });
  const doc = JSON.parse(result.stdout);
  return {
    exitCode: result.exitCode,
    stdout: result.stdout,
    checks: Object.fromEntries(doc.data.checks.map((c: Check) => [c.id, c])),
  };
}

/** A database at head, so only the scenario's own problem shows. */
async function migratedDatabase(): Promise<Record<string, string>> {
  const db = await pg.createDatabase();
  await createMigrator({ connection: db }).up();
  return pg.env(db.database);
}

describe('difyctl doctor against real PostgreSQL and Redis', () => {
  it('passes the dependency checks of a healthy database and Redis; the api is reported down', async () => {
    const { exitCode, checks } = await doctorWith(await migratedDatabase());
    expect(checks['db.connect']?.status).toBe('ok');
    expect(checks['db.migrations']).toMatchObject({ status: 'ok', finding: expect.stringContaining('at head') });
    expect(checks.redis).toMatchObject({ status: 'ok', finding: expect.stringContaining('PONG') });
    expect(checks['api.timeout']?.status).toBe('ok');
    expect(checks['api.health']).toMatchObject({ status: 'fail', fix: expect.stringContaining('difyctl up') });
    expect(exitCode).toBe(1);
  });

  it('wrong DB_PASSWORD: db.connect fails naming DB_PASSWORD, the others still report', async () => {
    const { exitCode, checks, stdout } = await doctorWith({
      ...(await migratedDatabase()),
      DB_PASSWORD: 'not-the-password',
    });
    expect(exitCode).toBe(1);
    expect(checks['db.connect']).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('refused the login'),
      fix: expect.stringContaining('DB_PASSWORD'),
    });
    expect(checks['db.migrations']?.status).toBe('skip');
    expect(checks.redis?.status).toBe('ok');
    expect(checks.config?.status).toBe('ok');
    expect(stdout).not.toContain('not-the-password');
  });

  it('missing database: says so, with the reused-data-dir explanation', async () => {
    const { checks } = await doctorWith({ ...pg.env(), DB_DATABASE: 'nowhere' });
    expect(checks['db.connect']).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('database "nowhere" does not exist'),
      fix: expect.stringContaining('POSTGRES_DB is only created on an empty'),
    });
  });

  it('pending migrations: db.migrations fails with `difyctl migrate`', async () => {
    const db = await pg.createDatabase();
    const { exitCode, checks } = await doctorWith(pg.env(db.database));
    expect(exitCode).toBe(1);
    expect(checks['db.connect']?.status).toBe('ok');
    expect(checks['db.migrations']).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('pending migration'),
      fix: expect.stringContaining('difyctl migrate'),
    });
  });

  it('a Dify (alembic) schema is reported, never migrated over', async () => {
    const db = await pg.createDatabase();
    await pg.exec(
      "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('64b051264f32')",
      db.database,
    );
    const { checks } = await doctorWith(pg.env(db.database));
    expect(checks['db.migrations']).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining("Dify's own schema"),
    });
  });

  it('db stopped (nothing listens): db.connect says so with DB_HOST/DB_PORT', async () => {
    const { checks } = await doctorWith({ ...pg.env(), DB_PORT: String(await getPort()) });
    expect(checks['db.connect']).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('nothing answers'),
      fix: expect.stringContaining('DB_PORT'),
    });
  });

  it('Redis down and Redis with a wrong password are told apart', async () => {
    const db = await migratedDatabase();
    const down = await doctorWith({ ...db, REDIS_PORT: String(await getPort()) });
    expect(down.checks.redis).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('nothing answers'),
      fix: expect.stringContaining('REDIS_PORT'),
    });
    expect(down.checks['db.connect']?.status).toBe('ok');
    const wrong = await doctorWith({ ...db, REDIS_PASSWORD: 'wrong' });
    expect(wrong.checks.redis).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('refused the credentials'),
      fix: expect.stringContaining('REDIS_PASSWORD'),
    });
  });

  it('pool sizes above max_connections fail api.timeout', async () => {
    const { checks } = await doctorWith({
      ...(await migratedDatabase()),
      SQLALCHEMY_POOL_SIZE: '300',
      SQLALCHEMY_MAX_OVERFLOW: '10',
    });
    expect(checks['api.timeout']).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('exceeds PostgreSQL max_connections'),
      fix: expect.stringContaining('SQLALCHEMY_POOL_SIZE'),
    });
  });
});
