import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator, type Migration } from '../../src/index.js';
import { MIGRATION_LOCK_KEY } from '../../src/db/advisory-lock.js';
import { loadMigrations } from '../../src/db/registry.js';
import { DifyctlError } from '../../src/errors/index.js';
import { startPostgres, type PostgresConnection, type TestPostgres } from '../helpers/postgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const SCHEMA_TABLES = [
  'accounts',
  'tenants',
  'tenant_account_joins',
  'roles',
  'permissions',
  'role_permissions',
  'apps',
  'app_model_configs',
  'api_tokens',
  'end_users',
  'conversations',
  'messages',
  'message_feedbacks',
  'upload_files',
  'message_files',
  'datasets',
  'app_dataset_joins',
  'documents',
  'document_segments',
  'system_settings',
  'prompt_templates',
  'kv_store',
  'dify_setups',
];

async function tables(db: PostgresConnection): Promise<string[]> {
  const { rows } = await server.exec<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    db.database,
  );
  return rows.map((r) => r.table_name);
}

/** Every column of the public schema, to compare schemas before and after a round trip. */
async function columns(db: PostgresConnection): Promise<string[]> {
  const { rows } = await server.exec<{ c: string }>(
    `SELECT table_name || '.' || column_name || ':' || data_type || ':' || is_nullable || ':' || coalesce(column_default, '') AS c
     FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'difyctl_migrations' ORDER BY 1`,
    db.database,
  );
  return rows.map((r) => r.c);
}

async function caught(promise: Promise<unknown>): Promise<DifyctlError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DifyctlError);
  return error as DifyctlError;
}

const migration = (revision: string, down_revision: string | null, up: string, down = ''): Migration => ({
  revision,
  down_revision,
  description: `m${revision}`,
  up,
  down,
});

describe('createMigrator against a real PostgreSQL', () => {
  it('migrates an empty database to head once, seeds it, and a second run finds nothing to do', async () => {
    const db = await server.createDatabase();
    const chain = await loadMigrations();
    const first = await createMigrator({ connection: db }).up();
    expect(first.migrations.map((m) => m.revision)).toEqual(chain.map((m) => m.revision));
    expect(first.seeded).toBe(true);
    expect(first.status).toMatchObject({ current: chain.at(-1)?.revision, pending: [], drift: [], upToDate: true });
    expect(await tables(db)).toEqual(expect.arrayContaining([...SCHEMA_TABLES, 'difyctl_migrations']));

    const second = await createMigrator({ connection: db }).up();
    expect(second.migrations).toEqual([]);
    const history = await server.exec<{ n: string }>('SELECT count(*) AS n FROM difyctl_migrations', db.database);
    expect(Number(history.rows[0]?.n)).toBe(chain.length);
    const roles = await server.exec<{ name: string }>('SELECT name FROM roles ORDER BY name', db.database);
    expect(roles.rows.map((r) => r.name)).toEqual(['admin', 'dataset_operator', 'editor', 'normal', 'owner']);
    const grants = await server.exec<{ n: string }>(
      `SELECT count(*) AS n FROM role_permissions rp JOIN roles r ON r.id = rp.role_id WHERE r.name = 'owner'`,
      db.database,
    );
    expect(Number(grants.rows[0]?.n)).toBeGreaterThan(5);
    const templates = await server.exec<{ n: string }>(
      'SELECT count(*) AS n FROM prompt_templates WHERE is_builtin',
      db.database,
    );
    expect(Number(templates.rows[0]?.n)).toBeGreaterThanOrEqual(4);
  });

  it('deleting an app cascades to its keys, conversations, messages and feedbacks', async () => {
    const db = await server.createDatabase();
    await createMigrator({ connection: db }).up();
    await server.exec(
      `WITH t AS (INSERT INTO tenants (name) VALUES ('w') RETURNING id),
            a AS (INSERT INTO apps (tenant_id, name, mode) SELECT id, 'app', 'chat' FROM t RETURNING id, tenant_id),
            k AS (INSERT INTO api_tokens (app_id, tenant_id, token_hash, token_prefix) SELECT id, tenant_id, 'h', 'app-' FROM a),
            c AS (INSERT INTO conversations (app_id, mode, from_source) SELECT id, 'chat', 'api' FROM a RETURNING id, app_id),
            m AS (INSERT INTO messages (app_id, conversation_id, query, from_source) SELECT app_id, id, 'hi', 'api' FROM c RETURNING id, app_id, conversation_id)
       INSERT INTO message_feedbacks (app_id, conversation_id, message_id, rating, from_source) SELECT app_id, conversation_id, id, 'like', 'user' FROM m;
       DELETE FROM apps;`,
      db.database,
    );
    const left = await server.exec<{ n: string }>(
      'SELECT (SELECT count(*) FROM api_tokens) + (SELECT count(*) FROM conversations) + (SELECT count(*) FROM messages) + (SELECT count(*) FROM message_feedbacks) AS n',
      db.database,
    );
    expect(Number(left.rows[0]?.n)).toBe(0);
  });

  it('a failing migration leaves no trace of itself, names its revision and the database error, and the next run retries it', async () => {
    const db = await server.createDatabase();
    const good = migration('0001', null, 'CREATE TABLE first_table (id int);', 'DROP TABLE first_table;');
    const bad = migration(
      '0002',
      '0001',
      'CREATE TABLE half_done (id int); INSERT INTO no_such_table VALUES (1);',
      'DROP TABLE half_done;',
    );
    const error = await caught(createMigrator({ connection: db, migrations: [good, bad] }).up());
    expect(error.code).toBe('MIGRATE.FAILED');
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('0002');
    expect(error.message).toContain('relation "no_such_table" does not exist');
    expect(error.details).toMatchObject({ revision: '0002', sqlstate: '42P01' });
    expect(await tables(db)).toEqual(['difyctl_migrations', 'first_table']);

    const fixed = migration('0002', '0001', 'CREATE TABLE half_done (id int);', 'DROP TABLE half_done;');
    const retry = await createMigrator({ connection: db, migrations: [good, fixed] }).up();
    expect(retry.migrations.map((m) => m.revision)).toEqual(['0002']);
    expect(await tables(db)).toEqual(['difyctl_migrations', 'first_table', 'half_done']);
  });

  it('down to base then up to head round-trips the schema', async () => {
    const db = await server.createDatabase();
    const migrator = createMigrator({ connection: db });
    await migrator.up();
    const before = await columns(db);
    const down = await migrator.down({ to: 'base' });
    expect(down.status.current).toBeNull();
    expect(await tables(db)).toEqual(['difyctl_migrations']);
    await migrator.up();
    expect(await columns(db)).toEqual(before);
    expect(before.length).toBeGreaterThan(100);
  });

  it('down N reverts the newest N migrations and up --to stops at a revision', async () => {
    const db = await server.createDatabase();
    const migrator = createMigrator({ connection: db });
    const chain = await migrator.chain();
    await migrator.up({ to: chain[1]?.revision });
    expect(await migrator.current()).toBe(chain[1]?.revision);
    expect((await migrator.status()).pending).toEqual(chain.slice(2).map((m) => m.revision));
    const down = await migrator.down({ steps: 1 });
    expect(down.migrations.map((m) => m.revision)).toEqual([chain[1]?.revision]);
    expect(await migrator.current()).toBe(chain[0]?.revision);
    expect((await caught(migrator.up({ to: 'nope' }))).code).toBe('MIGRATE.UNKNOWN_REVISION');
  });

  it('an edited applied migration shows as drift, and stamp head accepts it', async () => {
    const db = await server.createDatabase();
    const original = [
      migration('0001', null, 'CREATE TABLE t1 (id int);'),
      migration('0002', '0001', 'CREATE TABLE t2 (id int);'),
    ];
    await createMigrator({ connection: db, migrations: original }).up();
    const edited = [original[0]!, migration('0002', '0001', 'CREATE TABLE t2 (id bigint);')];
    const migrator = createMigrator({ connection: db, migrations: edited });
    const status = await migrator.status();
    expect(status).toMatchObject({ current: '0002', head: '0002', pending: [], upToDate: false });
    expect(status.drift.map((d) => d.revision)).toEqual(['0002']);
    expect((await migrator.history()).map((h) => h.drift)).toEqual([false, true]);
    expect((await migrator.stamp('head')).drift).toEqual([]);
  });

  it('--dry-run returns the SQL and leaves the database unchanged', async () => {
    const db = await server.createDatabase();
    const result = await createMigrator({ connection: db }).up({ dryRun: true });
    expect(result.sql).toContain('CREATE TABLE accounts');
    expect(result.sql).toContain('CREATE TABLE IF NOT EXISTS difyctl_migrations');
    expect(result.sql).toContain('ON CONFLICT');
    expect(await tables(db)).toEqual([]);
  });

  it("a database with Dify's alembic_version table is reported and never migrated over", async () => {
    const db = await server.createDatabase();
    await server.exec(
      `CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('64a70a7aab8b');`,
      db.database,
    );
    const migrator = createMigrator({ connection: db });
    const error = await caught(migrator.up());
    expect(error.code).toBe('MIGRATE.FOREIGN_SCHEMA');
    expect(error.message).toContain('64a70a7aab8b');
    expect((await migrator.status()).foreign).toEqual({
      kind: 'alembic',
      table: 'alembic_version',
      version: '64a70a7aab8b',
    });
    expect(await tables(db)).toEqual(['alembic_version']);
  });

  it('waits for the lock held by another session, then proceeds; gives up with MIGRATE.LOCK_TIMEOUT when bounded', async () => {
    const db = await server.createDatabase();
    const holder = new pg.Client(db);
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      const timedOut = await caught(createMigrator({ connection: db, lockTimeoutMs: 200 }).up());
      expect(timedOut.code).toBe('MIGRATE.LOCK_TIMEOUT');
      expect(await tables(db)).toEqual([]);

      const waiting = createMigrator({ connection: db, lockTimeoutMs: 30_000 }).up();
      for (;;) {
        const { rows } = await holder.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
        );
        if (Number(rows[0]?.n) > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await holder.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
      expect((await waiting).status.upToDate).toBe(true);
    } finally {
      await holder.end();
    }
  });

  it('down --dry-run returns the SQL and reverts nothing', async () => {
    const db = await server.createDatabase();
    const migrator = createMigrator({ connection: db });
    await migrator.up();
    const before = await tables(db);
    const dry = await migrator.down({ to: 'base', dryRun: true });
    expect(dry.sql).toContain('DROP TABLE IF EXISTS accounts');
    expect(dry.sql).toContain('DELETE FROM difyctl_migrations');
    expect(await tables(db)).toEqual(before);
    expect(dry.status.upToDate).toBe(true);
  });

  it('refuses to migrate a database that has revisions this chain does not know', async () => {
    const db = await server.createDatabase();
    const chain = [migration('0001', null, 'CREATE TABLE t1 (id int);')];
    await createMigrator({ connection: db, migrations: chain }).up();
    await server.exec(`INSERT INTO difyctl_migrations (revision, checksum) VALUES ('0099', 'x')`, db.database);
    const migrator = createMigrator({ connection: db, migrations: chain });
    expect((await migrator.status()).unknown).toEqual(['0099']);
    expect((await caught(migrator.up())).code).toBe('MIGRATE.DIVERGED');
  });

  it('a refused login is DB.AUTH_FAILED, as `up` reports it, and names the variables to fix', async () => {
    const db = await server.createDatabase();
    const error = await caught(createMigrator({ connection: { ...db, password: 'wrong' } }).status());
    expect(error.code).toBe('DB.AUTH_FAILED');
    expect(error.hint).toContain('DB_PASSWORD');
    expect(error.message).not.toContain(db.password);
  });

  it('a missing database is DB.DATABASE_MISSING, as `up` reports it; nothing answering stays MIGRATE.CONNECT', async () => {
    const db = await server.createDatabase();
    expect((await caught(createMigrator({ connection: { ...db, database: 'no_such_db' } }).status())).code).toBe(
      'DB.DATABASE_MISSING',
    );
    expect(
      (await caught(createMigrator({ connection: { ...db, port: 1 }, connectTimeoutMs: 2000 }).status())).code,
    ).toBe('MIGRATE.CONNECT');
  });
});
