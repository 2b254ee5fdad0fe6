import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATION_LOCK_KEY } from '../../src/db/advisory-lock.js';
import { loadMigrations } from '../../src/db/registry.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { startPostgres, type PostgresConnection, type TestPostgres } from '../helpers/postgres.js';

// `difyctl migrate` as a user runs it: the built CLI (npm test builds dist/ first) as separate
// processes, against a real PostgreSQL, configured through DB_* variables and a project .env.
let server: TestPostgres;
let project: { dir: string; cleanup: () => Promise<void> };
let head: string;
let revisions: string[];

beforeAll(async () => {
  server = await startPostgres();
  project = await tempDir('difyctl-migrate-');
  await writeFile(
    path.join(project.dir, '.env'),
    'SECRET_KEY=migrate-test-secret-key-0123456789abcdef\nDEPLOY_ENV=DEVELOPMENT\n',
  );
  revisions = (await loadMigrations()).map((m) => m.revision);
  head = revisions.at(-1)!;
});
afterAll(async () => {
  await server?.stop();
  await project?.cleanup();
});

const migrate = (db: PostgresConnection, args: string[]) =>
  runCli(['-C', project.dir, 'migrate', ...args], { env: server.env(db.database) });
const json = (stdout: string) =>
  JSON.parse(stdout) as { ok: boolean; data: Record<string, unknown>; error?: { code: string; message: string } };

async function tableCount(db: PostgresConnection): Promise<number> {
  const { rows } = await server.exec<{ n: string }>(
    `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'`,
    db.database,
  );
  return Number(rows[0]?.n);
}

describe('difyctl migrate (processes, real PostgreSQL)', () => {
  it('8 processes started at once on an empty database: all exit 0 and each migration is applied exactly once', async () => {
    const db = await server.createDatabase();
    const runs = await Promise.all(Array.from({ length: 8 }, () => migrate(db, ['--json'])));
    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
    const applied = runs.flatMap((run) =>
      (json(run.stdout).data.migrations as { revision: string }[]).map((m) => m.revision),
    );
    expect(applied.sort()).toEqual([...revisions].sort());
    const history = await server.exec<{ revision: string }>(
      'SELECT revision FROM difyctl_migrations ORDER BY revision',
      db.database,
    );
    expect(history.rows.map((r) => r.revision)).toEqual(revisions);
    const status = json((await migrate(db, ['status', '--json'])).stdout).data;
    expect(status).toMatchObject({ current: head, head, pending: [], drift: [] });
    expect(await tableCount(db)).toBeGreaterThanOrEqual(24);
  });

  it('status --json reports {current, head, pending, drift}; history and current follow up and down', async () => {
    const db = await server.createDatabase();
    const empty = json((await migrate(db, ['status', '--json'])).stdout);
    expect(empty.data).toMatchObject({ current: null, head, pending: revisions, drift: [] });
    expect((await migrate(db, ['up', '--to', revisions[0]!])).exitCode).toBe(0);
    expect(json((await migrate(db, ['current', '--json'])).stdout).data).toEqual({ current: revisions[0] });
    const history = json((await migrate(db, ['history', '--json'])).stdout).data as unknown as {
      revision: string;
      applied: boolean;
    }[];
    expect(history.map((h) => [h.revision, h.applied])).toEqual(revisions.map((r, i) => [r, i === 0]));
    const text = await migrate(db, ['status']);
    expect(text.stdout).toContain(`pending  ${revisions.slice(1).join(', ')}`);
  });

  it('down to base then up to head round-trips', async () => {
    const db = await server.createDatabase();
    expect((await migrate(db, [])).exitCode).toBe(0);
    const down = await migrate(db, ['down', '--to', 'base']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await tableCount(db)).toBe(1); // difyctl_migrations, now empty
    expect((await migrate(db, ['down', '1'])).stdout).toContain('Nothing to revert');
    const up = await migrate(db, ['up']);
    expect(up.exitCode).toBe(0);
    expect(up.stdout).toContain(`Database at ${head} (head)`);
  });

  it('--dry-run prints the SQL and leaves the database unchanged', async () => {
    const db = await server.createDatabase();
    const run = await migrate(db, ['up', '--dry-run']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('CREATE TABLE accounts');
    expect(run.stdout).toContain('INSERT INTO difyctl_migrations');
    expect(await tableCount(db)).toBe(0);
  });

  it('a failing migration exits 1 with its revision and the database error, leaves nothing of it, and the next run retries it', async () => {
    const db = await server.createDatabase();
    const dir = path.join(project.dir, 'failing-migrations');
    await mkdir(dir, { recursive: true });
    const module = (rev: string, down: string | null, up: string) =>
      `export const revision = '${rev}';\nexport const down_revision = ${down === null ? 'null' : `'${down}'`};\nexport const description = 'test ${rev}';\nexport const up = \`${up}\`;\nexport const down = '';\n`;
    await writeFile(path.join(dir, '0001_ok.mjs'), module('0001', null, 'CREATE TABLE ok_table (id int);'));
    await writeFile(
      path.join(dir, '0002_broken.mjs'),
      module('0002', '0001', 'CREATE TABLE partial (id int); SELECT no_such_column FROM ok_table;'),
    );
    const failed = await migrate(db, ['--dir', dir]);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('0002');
    expect(failed.stderr).toContain('column "no_such_column" does not exist');
    expect(failed.stderr).toContain('MIGRATE.FAILED');
    const { rows } = await server.exec<{ t: string | null }>(`SELECT to_regclass('partial')::text AS t`, db.database);
    expect(rows[0]?.t).toBeNull();

    await writeFile(path.join(dir, '0002_broken.mjs'), module('0002', '0001', 'CREATE TABLE partial (id int);'));
    const retried = json((await migrate(db, ['--dir', dir, '--json'])).stdout);
    expect(retried.ok).toBe(true);
    expect(retried.data.migrations).toEqual([expect.objectContaining({ revision: '0002' })]);
  });

  it('an edited applied migration shows as drift in status --json', async () => {
    const db = await server.createDatabase();
    expect((await migrate(db, [])).exitCode).toBe(0);
    await server.exec(
      `UPDATE difyctl_migrations SET checksum = 'edited' WHERE revision = '${revisions[0]}'`,
      db.database,
    );
    const status = json((await migrate(db, ['status', '--json'])).stdout).data;
    expect(status.drift).toEqual([expect.objectContaining({ revision: revisions[0], appliedChecksum: 'edited' })]);
    expect((await migrate(db, ['status'])).stdout).toContain(`drift    ${revisions[0]}`);
  });

  it("refuses a database with Dify's alembic_version table", async () => {
    const db = await server.createDatabase();
    await server.exec(
      `CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('abc123');`,
      db.database,
    );
    const run = await migrate(db, ['--json']);
    expect(run.exitCode).toBe(1);
    expect(json(run.stdout).error?.code).toBe('MIGRATE.FOREIGN_SCHEMA');
    expect(await tableCount(db)).toBe(1);
    expect((await migrate(db, ['status'])).stdout).toContain("Dify's own schema");
  });

  it('gives up after --lock-timeout when another session holds the lock', async () => {
    const db = await server.createDatabase();
    const holder = new pg.Client(db);
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      const run = await migrate(db, ['--lock-timeout', '0.3', '--json']);
      expect(run.exitCode).toBe(1);
      expect(json(run.stdout).error?.code).toBe('MIGRATE.LOCK_TIMEOUT');
    } finally {
      await holder.end();
    }
  });

  it('new NAME writes the next revision following the current head', async () => {
    const dir = path.join(project.dir, 'new-migrations');
    await mkdir(dir, { recursive: true });
    const first = await runCli(['-C', project.dir, 'migrate', 'new', 'Add widgets', '--dir', dir]);
    expect(first.exitCode, first.stderr).toBe(0);
    const second = await runCli(['-C', project.dir, 'migrate', 'new', 'more', '--dir', dir, '--json']);
    expect(json(second.stdout).data).toMatchObject({ revision: '0002', down_revision: '0001' });
    const text = await readFile(path.join(dir, '0001_add_widgets.ts'), 'utf8');
    expect(text).toContain('export const down_revision = null;');
    expect(text).toContain("export const description = 'Add widgets';");
  });
});
