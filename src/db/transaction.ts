import type { ClientBase } from 'pg';
import type { DifyctlError } from '../errors/index.js';
import {
  CREATE_HISTORY_TABLE,
  DELETE_HISTORY,
  deleteHistorySql,
  INSERT_HISTORY,
  insertHistorySql,
} from './history-table.js';
import type { KnownMigration } from './types.js';
import { migrateFailed } from './errors.js';

/** The fields of a PostgreSQL error worth reporting (pg's DatabaseError). */
interface PgErrorLike {
  message: string;
  code?: string;
  detail?: string;
  hint?: string;
  position?: string;
}

export interface TransactionOptions {
  /** Whether to send ROLLBACK after `error` (not to a database that stopped answering). @default always */
  rollback?: (error: unknown) => boolean;
  /** A failed ROLLBACK (the connection is broken). @default ignored */
  onRollbackError?: (error: Error) => void;
}

/**
 * Runs `fn` in BEGIN … COMMIT on one client; anything that throws rolls the whole transaction back.
 * The one place difyctl opens a transaction: the migrator, and the server's pooled `inTransaction`.
 */
export async function inTransaction<T>(
  client: ClientBase,
  fn: () => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (options.rollback?.(error) ?? true) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => options.onRollbackError?.(rollbackError));
    }
    throw error;
  }
}

/** Applies one migration and records it in the same transaction: both happen, or neither. */
export async function applyMigration(client: ClientBase, m: KnownMigration): Promise<number> {
  const started = performance.now();
  try {
    return await inTransaction(client, async () => {
      await client.query(m.up);
      const durationMs = Math.round(performance.now() - started);
      await client.query(INSERT_HISTORY, [m.revision, m.checksum, m.description, durationMs]);
      return durationMs;
    });
  } catch (error) {
    throw migrationFailed(m, 'up', error);
  }
}

/** Reverts one migration and removes its history row in the same transaction. */
export async function revertMigration(client: ClientBase, m: KnownMigration): Promise<number> {
  const started = performance.now();
  try {
    await inTransaction(client, async () => {
      await client.query(m.down);
      await client.query(DELETE_HISTORY, [m.revision]);
    });
  } catch (error) {
    throw migrationFailed(m, 'down', error);
  }
  return Math.round(performance.now() - started);
}

export function migrationFailed(m: KnownMigration, direction: 'up' | 'down' | 'seed', error: unknown): DifyctlError {
  const pgError = error as PgErrorLike; // pg rejects with DatabaseError (or a connection Error) here
  const what =
    direction === 'seed'
      ? 'Seeding after migration'
      : `Migration ${m.revision} (${m.description})${direction === 'down' ? ' down' : ''}`;
  return migrateFailed(`${what} failed: ${pgError.message}`, {
    why: [pgError.detail, pgError.hint].filter(Boolean).join(' ') || undefined,
    hint: `Its transaction was rolled back: nothing of ${m.revision} was applied. Fix ${m.file ?? 'the migration'} or the database, then rerun \`difyctl migrate\`, which retries it.`,
    details: { revision: m.revision, direction, sqlstate: pgError.code, position: pgError.position },
    cause: error,
  });
}

/** The script `up --dry-run` prints: exactly what the migrator would send, one transaction each. */
export function renderUpScript(options: { plan: KnownMigration[]; createHistory: boolean; seed?: string }): string {
  const parts = ['-- difyctl migrate up --dry-run: nothing below was executed'];
  if (options.createHistory) parts.push(`${CREATE_HISTORY_TABLE};`);
  for (const m of options.plan) {
    parts.push(`-- ${m.revision}: ${m.description}\nBEGIN;\n${m.up.trim()}\n${insertHistorySql(m)}\nCOMMIT;`);
  }
  if (options.seed) parts.push(`-- seed data\nBEGIN;\n${options.seed.trim()}\nCOMMIT;`);
  if (options.plan.length === 0 && !options.seed)
    parts.push('-- nothing to apply: the database is at the requested revision');
  return `${parts.join('\n\n')}\n`;
}

export function renderDownScript(plan: KnownMigration[]): string {
  const parts = ['-- difyctl migrate down --dry-run: nothing below was executed'];
  for (const m of plan)
    parts.push(`-- ${m.revision}: ${m.description}\nBEGIN;\n${m.down.trim()}\n${deleteHistorySql(m)}\nCOMMIT;`);
  if (plan.length === 0) parts.push('-- nothing to revert: the database is at base');
  return `${parts.join('\n\n')}\n`;
}
