import pg from 'pg';
import { parseDbExtras, pgSsl } from '../config/db-extras.js';
import type { Settings } from '../config/schema.js';
import { pgLoginFault } from '../errors/index.js';
import type { Logger } from './logger.js';
import { poolTypes } from './pg-timestamps.js';

type DbSettings = Pick<
  Settings,
  | 'DB_HOST'
  | 'DB_PORT'
  | 'DB_USERNAME'
  | 'DB_PASSWORD'
  | 'DB_DATABASE'
  | 'DB_EXTRAS'
  | 'SQLALCHEMY_POOL_SIZE'
  | 'SQLALCHEMY_MAX_OVERFLOW'
  | 'SQLALCHEMY_POOL_RECYCLE'
  | 'GUNICORN_TIMEOUT'
>;

/** A request's query may run this long at most, whatever GUNICORN_TIMEOUT allows. @default 10 s */
export const MAX_REQUEST_STATEMENT_MS = 10_000;
/** Waiting for a pooled connection, or for a new one to log in. @default 3 s */
export const CONNECT_TIMEOUT_MS = 3000;

export interface QueryBounds {
  /** PostgreSQL's `statement_timeout`: the server cancels a slower statement (SQLSTATE 57014). */
  statementMs: number;
  /** The client's `query_timeout`: a database that does not answer at all (stalled) is given up on. */
  queryMs: number;
}

/** Worker tasks (deleting an app's data, indexing) may run long statements, but not forever. */
export const TASK_QUERY_BOUNDS: QueryBounds = { statementMs: 5 * 60_000, queryMs: 5 * 60_000 + 10_000 };

/**
 * Bounds for the queries of a request, under GUNICORN_TIMEOUT so the client always gets a JSON
 * answer before its request is cut: the server cancels a statement after min(10 s, half of it); the
 * client gives up on a database that does not answer at all a little later (three quarters of it
 * at most), and drops that connection.
 */
export function requestQueryBounds(settings: Pick<Settings, 'GUNICORN_TIMEOUT'>): QueryBounds {
  const budget = settings.GUNICORN_TIMEOUT * 1000;
  const statementMs = Math.min(MAX_REQUEST_STATEMENT_MS, Math.floor(budget / 2));
  return { statementMs, queryMs: Math.min(statementMs + 1000, Math.floor(budget * 0.75)) };
}

/**
 * The database pool, sized like SQLAlchemy's: POOL_SIZE + MAX_OVERFLOW connections at most, each
 * replaced after POOL_RECYCLE seconds. A connection that dies while idle (PostgreSQL restarted) is
 * logged and dropped: it must never crash the process. Every query is bounded (see
 * requestQueryBounds; the worker passes its own, longer bounds), and so are the wait for a
 * connection and its login: a stalled PostgreSQL costs a request seconds, never forever.
 */
export function createPool(options: {
  settings: DbSettings;
  logger: Logger;
  applicationName?: string;
  bounds?: QueryBounds;
}): pg.Pool {
  const s = options.settings;
  const bounds = options.bounds ?? requestQueryBounds(s);
  // DB_EXTRAS (Dify's libpq parameters): TLS, login options, a statement_timeout lower than ours.
  const { extras } = parseDbExtras(s.DB_EXTRAS);
  const pool = new pg.Pool({
    ssl: pgSsl(extras),
    ...(extras.options ? { options: extras.options } : {}),
    host: s.DB_HOST,
    port: s.DB_PORT,
    user: s.DB_USERNAME,
    password: s.DB_PASSWORD,
    database: s.DB_DATABASE,
    max: s.SQLALCHEMY_POOL_SIZE + s.SQLALCHEMY_MAX_OVERFLOW,
    types: poolTypes,
    maxLifetimeSeconds: s.SQLALCHEMY_POOL_RECYCLE,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: Math.min(bounds.statementMs, extras.statementTimeoutMs ?? Number.POSITIVE_INFINITY),
    query_timeout: bounds.queryMs,
    // A peer that vanished without a FIN (host down, network cut) is noticed on idle connections too.
    keepAlive: true,
    application_name: options.applicationName ?? extras.applicationName ?? 'difyctl-api',
  });
  pool.on('error', (error) => options.logger.warn({ err: error.message }, 'database connection lost'));
  return pool;
}

/**
 * A process's start (api or worker): a refused login, an empty DB_PASSWORD the server asks for, or a
 * missing database stops it with DB.AUTH_FAILED / DB.DATABASE_MISSING — the code `up`, `migrate` and
 * `doctor` give the same fault. A database that is down or slow is not checked here (waited on for
 * `waitMs` at most): the process starts and /health reports it, as before.
 */
export async function checkDbLogin(pool: pg.Pool, s: DbSettings, waitMs = 1000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const fault = await Promise.race([
    pool.query('SELECT 1').then(
      () => undefined,
      (error: unknown) =>
        pgLoginFault(error, { host: s.DB_HOST, port: s.DB_PORT, user: s.DB_USERNAME, database: s.DB_DATABASE }),
    ),
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waitMs))),
  ]);
  clearTimeout(timer);
  if (fault) throw fault;
}

export { inTransaction, isQueryReadTimeout } from '../db/pooled-transaction.js';
