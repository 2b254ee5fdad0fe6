import pg from 'pg';
import type { Settings } from '../config/schema.js';
import type { Logger } from './logger.js';

type DbSettings = Pick<Settings, 'DB_HOST' | 'DB_PORT' | 'DB_USERNAME' | 'DB_PASSWORD' | 'DB_DATABASE' | 'SQLALCHEMY_POOL_SIZE' | 'SQLALCHEMY_MAX_OVERFLOW' | 'SQLALCHEMY_POOL_RECYCLE'>;

/**
 * The database pool, sized like SQLAlchemy's: POOL_SIZE + MAX_OVERFLOW connections at most, each
 * replaced after POOL_RECYCLE seconds. A connection that dies while idle (PostgreSQL restarted) is
 * logged and dropped: it must never crash the process.
 */
export function createPool(options: { settings: DbSettings; logger: Logger; applicationName?: string }): pg.Pool {
  const s = options.settings;
  const pool = new pg.Pool({
    host: s.DB_HOST,
    port: s.DB_PORT,
    user: s.DB_USERNAME,
    password: s.DB_PASSWORD,
    database: s.DB_DATABASE,
    max: s.SQLALCHEMY_POOL_SIZE + s.SQLALCHEMY_MAX_OVERFLOW,
    maxLifetimeSeconds: s.SQLALCHEMY_POOL_RECYCLE,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 3000,
    application_name: options.applicationName ?? 'difyctl-api',
  });
  pool.on('error', (error) => options.logger.warn({ err: error.message }, 'database connection lost'));
  return pool;
}

/**
 * Runs `fn` in a transaction on one pooled client. A checked-out client has no error listener of
 * the pool's: a connection lost while the transaction waits (on the task queue, say) would be an
 * uncaught 'error' that ends the process. It is caught here, and the broken client is destroyed
 * instead of going back to the pool.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken ??= error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken ??= rollbackError;
    });
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}
