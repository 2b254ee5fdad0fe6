import pg from 'pg';
import type { DifyctlError } from '../errors/index.js';
import { migrateLockTimeout } from './errors.js';

/** The one advisory lock key every difyctl migrator takes ("difyct" in ASCII). */
export const MIGRATION_LOCK_KEY = '110386213008244';

/** SQLSTATE 55P03 lock_not_available: `lock_timeout` expired while waiting. */
const LOCK_NOT_AVAILABLE = '55P03';

export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Takes the migration lock on its own connection and holds it until `release()`: a session-level
 * `pg_advisory_lock`, waited for (not skipped) up to `timeoutMs`, then `MIGRATE.LOCK_TIMEOUT`.
 * If this process dies, PostgreSQL drops the session and the lock with it.
 */
export async function acquireMigrationLock(options: {
  config: pg.ClientConfig;
  timeoutMs: number;
  onWait?: () => void;
}): Promise<HeldLock> {
  const client = new pg.Client(options.config);
  await client.connect();
  try {
    const tried = await client.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) AS locked`,
    );
    if (!tried.rows[0]?.locked) {
      options.onWait?.();
      if (options.timeoutMs <= 0) throw lockTimeout(options.timeoutMs);
      // lock_timeout bounds the blocking wait; the lock is granted the moment the holder releases it.
      await client.query(`SET lock_timeout = ${Math.ceil(options.timeoutMs)}`);
      await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      await client.query('SET lock_timeout = 0');
    }
  } catch (error) {
    await client.end().catch(() => {});
    if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) throw lockTimeout(options.timeoutMs, error);
    throw error;
  }
  return {
    release: async () => {
      try {
        await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
      } finally {
        await client.end();
      }
    },
  };
}

function lockTimeout(timeoutMs: number, cause?: unknown): DifyctlError {
  return migrateLockTimeout(`Another migrator held the migration lock for more than ${timeoutMs / 1000} s`, {
    why: 'Only one migrator runs at a time; this one waited for the other to finish.',
    hint: "Wait for the other `difyctl migrate`/`up` to finish, raise --lock-timeout, or find the holder: SELECT pid, application_name FROM pg_stat_activity JOIN pg_locks USING (pid) WHERE locktype = 'advisory'.",
    details: { lockKey: MIGRATION_LOCK_KEY, timeoutMs },
    cause,
  });
}
