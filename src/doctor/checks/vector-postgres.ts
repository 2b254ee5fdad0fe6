import pg from 'pg';
import type { Settings } from '../../config/schema.js';
import type { DbServer } from '../../db/types.js';
import type { CheckResult } from '../types.js';

/** Connects with a short timeout; a refusal becomes the finding, naming the variables to fix. */
async function connect(
  connection: DbServer,
  names: { host: string; port: string; user: string; password: string; database: string },
): Promise<pg.Client | CheckResult> {
  const where = `${connection.host}:${connection.port}`;
  const client = new pg.Client({ ...connection, connectionTimeoutMillis: 2000 });
  client.on('error', () => {}); // a server dropping the connection later is not an uncaught exception
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || /timeout/i.test((error as Error).message))
      return {
        status: 'fail',
        finding: `nothing answers at ${where}`,
        fix: `Start that PostgreSQL, or fix ${names.host}/${names.port} (now ${where}).`,
      };
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return {
        status: 'fail',
        finding: `${names.host}=${connection.host} does not resolve`,
        fix: `Set ${names.host} to an address this machine reaches (a compose service name only resolves inside its network).`,
      };
    if (code === '28P01' || code === '28000')
      return {
        status: 'fail',
        finding: `${where} refused the login of ${connection.user}`,
        fix: `Check ${names.user} and ${names.password}.`,
      };
    if (code === '3D000')
      return {
        status: 'fail',
        finding: `database "${connection.database}" does not exist on ${where}`,
        fix: `Create it, or set ${names.database} to an existing database.`,
      };
    return { status: 'fail', finding: `${where}: ${(error as Error).message}` };
  }
}

const PGVECTOR_NAMES = {
  host: 'PGVECTOR_HOST',
  port: 'PGVECTOR_PORT',
  user: 'PGVECTOR_USER',
  password: 'PGVECTOR_PASSWORD',
  database: 'PGVECTOR_DATABASE',
};

const INSTALL_FIX =
  'Install pgvector for that PostgreSQL server (the pgvector/pgvector image, or the postgresql-<version>-pgvector package), or use the default store: VECTOR_STORE=postgres.';

/** VECTOR_STORE=pgvector: the login, then the extension (installed, or creatable by PGVECTOR_USER). */
export async function probePgvector(s: Settings & { PGVECTOR_HOST: string }): Promise<CheckResult> {
  // Dify's PGVectorFactory fallbacks for the unset ones.
  const connection: DbServer = {
    host: s.PGVECTOR_HOST,
    port: s.PGVECTOR_PORT,
    user: s.PGVECTOR_USER ?? 'postgres',
    password: s.PGVECTOR_PASSWORD ?? '',
    database: s.PGVECTOR_DATABASE ?? 'postgres',
  };
  const where = `${connection.host}:${connection.port}/${connection.database}`;
  const client = await connect(connection, PGVECTOR_NAMES);
  if (!(client instanceof pg.Client)) return client;
  try {
    const { rows } = await client.query<{ installed: string | null; available: string | null; tables: number }>(
      `SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed,
              (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS available,
              (SELECT count(*)::int FROM pg_class WHERE relkind = 'r' AND relname LIKE 'embedding\\_vector\\_index\\_%') AS tables`,
    );
    const { installed, available, tables } = rows[0]!;
    if (installed) return { status: 'ok', finding: `pgvector ${installed} on ${where} (${tables} dataset table(s))` };
    if (!available)
      return { status: 'fail', finding: `the PostgreSQL at ${where} has no pgvector extension`, fix: INSTALL_FIX };
    // Available but not created: whether PGVECTOR_USER may create it (rolled back, nothing changes).
    try {
      await client.query('BEGIN');
      await client.query('CREATE EXTENSION IF NOT EXISTS vector');
      return { status: 'ok', finding: `pgvector ${available} available on ${where}; created on first use` };
    } catch (error) {
      return {
        status: 'fail',
        finding: `${connection.user} may not create the pgvector extension on ${where} (${(error as Error).message})`,
        fix: 'Have a superuser run CREATE EXTENSION vector in that database, or set VECTOR_STORE=postgres.',
      };
    } finally {
      await client.query('ROLLBACK').catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/** The default store: the stack's database has `document_segments.embedding` (real[], no extension). */
export async function probeDefaultStore(connection: DbServer): Promise<CheckResult> {
  const where = `${connection.host}:${connection.port}/${connection.database}`;
  const client = await connect(connection, {
    host: 'DB_HOST',
    port: 'DB_PORT',
    user: 'DB_USERNAME',
    password: 'DB_PASSWORD',
    database: 'DB_DATABASE',
  });
  if (!(client instanceof pg.Client))
    return {
      status: 'skip',
      finding: `skipped: the stack's database is not reachable (${client.finding}; see db.connect)`,
    };
  try {
    const { rows } = await client.query<{ type: string }>(
      `SELECT format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
       WHERE a.attrelid = to_regclass('document_segments') AND a.attname = 'embedding' AND NOT a.attisdropped`,
    );
    if (!rows[0])
      return {
        status: 'fail',
        finding: `${where} has no document_segments.embedding column (the schema is not migrated)`,
        fix: 'Run `difyctl migrate` (or `difyctl up`, which migrates when MIGRATION_ENABLED=true).',
      };
    const { rows: counts } = await client.query<{ vectors: number }>(
      'SELECT count(*)::int AS vectors FROM document_segments WHERE embedding IS NOT NULL',
    );
    return {
      status: 'ok',
      finding: `default store: document_segments.embedding (${rows[0].type}) in ${where}, ${counts[0]?.vectors ?? 0} vector(s)`,
    };
  } finally {
    await client.end().catch(() => {});
  }
}
