import type pg from 'pg';
import { inTransaction as runInTransaction } from './transaction.js';

/** pg's error when `query_timeout` passed without an answer: the connection is unusable. */
export const isQueryReadTimeout = (error: unknown): boolean =>
  error instanceof Error && error.message === 'Query read timeout';

/**
 * Runs `fn` in a transaction on one pooled client. A checked-out client has no error listener of
 * the pool's: a connection lost while the transaction waits (on the task queue, say) would be an
 * uncaught 'error' that ends the process. It is caught here, and the broken client is destroyed
 * instead of going back to the pool. After a read timeout the database is not answering: no
 * ROLLBACK is sent (it would wait as long again); dropping the connection rolls back.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken ??= error;
  };
  client.on('error', onError);
  try {
    return await runInTransaction(client, () => fn(client), {
      rollback: (error) => {
        if (!isQueryReadTimeout(error)) return true;
        broken ??= error as Error;
        return false;
      },
      onRollbackError: (rollbackError) => {
        broken ??= rollbackError;
      },
    });
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}
