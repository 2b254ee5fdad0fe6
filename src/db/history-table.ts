import type { ClientBase } from 'pg';
import type { AppliedMigration, KnownMigration } from './types.js';

/** The migrator's own bookkeeping table. Created under the advisory lock, never by a migration. */
export const HISTORY_TABLE = 'difyctl_migrations';

export const CREATE_HISTORY_TABLE = `CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
  revision text PRIMARY KEY,
  checksum text NOT NULL,
  description text NOT NULL DEFAULT '',
  applied_at timestamptz NOT NULL DEFAULT now(),
  duration_ms integer NOT NULL DEFAULT 0
)`;

export const HISTORY_TABLE_EXISTS = `SELECT to_regclass('${HISTORY_TABLE}') IS NOT NULL AS exists`;

export const SELECT_HISTORY = `SELECT revision, checksum, description, applied_at, duration_ms FROM ${HISTORY_TABLE} ORDER BY applied_at, revision`;

export const INSERT_HISTORY = `INSERT INTO ${HISTORY_TABLE} (revision, checksum, description, duration_ms) VALUES ($1, $2, $3, $4)`;

export const DELETE_HISTORY = `DELETE FROM ${HISTORY_TABLE} WHERE revision = $1`;

interface HistoryRow {
  revision: string;
  checksum: string;
  description: string;
  applied_at: Date;
  duration_ms: number;
}

export async function historyTableExists(client: ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>(HISTORY_TABLE_EXISTS);
  return rows[0]?.exists === true;
}

/** Applied migrations, oldest first; empty when the table does not exist yet (nothing is created). */
export async function readHistory(client: ClientBase): Promise<AppliedMigration[]> {
  if (!(await historyTableExists(client))) return [];
  const result = await client.query<HistoryRow>(SELECT_HISTORY);
  return result.rows.map((r) => ({
    revision: r.revision,
    checksum: r.checksum,
    description: r.description,
    appliedAt: r.applied_at,
    durationMs: r.duration_ms,
  }));
}

/** The statement `--dry-run` prints in place of the parameterised insert. */
export function insertHistorySql(m: KnownMigration): string {
  const q = (s: string): string => `'${s.replaceAll("'", "''")}'`;
  return `INSERT INTO ${HISTORY_TABLE} (revision, checksum, description, duration_ms) VALUES (${q(m.revision)}, ${q(m.checksum)}, ${q(m.description)}, 0);`;
}

export function deleteHistorySql(m: KnownMigration): string {
  return `DELETE FROM ${HISTORY_TABLE} WHERE revision = '${m.revision.replaceAll("'", "''")}';`;
}
