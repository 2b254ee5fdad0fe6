import os from 'node:os';
import { workerCount } from '../../config/derived.js';
import { dbTarget, stackState } from '../targets.js';
import { SETTINGS_DO_NOT_PARSE, type Check, type CheckResult } from '../types.js';

/** GUNICORN_TIMEOUT, workers vs cores, SQLALCHEMY_POOL_SIZE vs the server's max_connections. */
export const apiTimeoutCheck: Check = {
  id: 'api.timeout',
  title: 'Timeouts and pools',
  dependsOn: ['db.connect'],
  run: async ({ config }): Promise<CheckResult> => {
    const s = config.typed;
    if (!s) return SETTINGS_DO_NOT_PARSE;
    const cores = os.availableParallelism();
    const workers = workerCount(s, cores);
    const { default: pg } = await import('pg');
    const { from: _from, ...conn } = dbTarget(s, await stackState(config));
    const client = new pg.Client({ ...conn, connectionTimeoutMillis: 1500, query_timeout: 1500 });
    client.on('error', () => undefined);
    let max: number;
    try {
      await client.connect();
      max = Number((await client.query<{ max_connections: string }>('SHOW max_connections')).rows[0]?.max_connections);
    } finally {
      await client.end().catch(() => undefined);
    }
    // api processes and the worker each hold a pool, and each api process one LISTEN connection (its
    // change feed); keep a few connections for admin and migrations.
    const needed = (workers + 1) * (s.SQLALCHEMY_POOL_SIZE + s.SQLALCHEMY_MAX_OVERFLOW) + workers;
    const facts = `GUNICORN_TIMEOUT=${s.GUNICORN_TIMEOUT}s, ${workers} process(es) on ${cores} cores, pools need up to ${needed} of max_connections=${max}`;
    if (needed > max) {
      return {
        status: 'fail',
        finding: `(SERVER_WORKER_AMOUNT+1 worker) × (SQLALCHEMY_POOL_SIZE+SQLALCHEMY_MAX_OVERFLOW) + ${workers} listener(s) = ${needed} exceeds PostgreSQL max_connections=${max}`,
        fix: `Lower SQLALCHEMY_POOL_SIZE (now ${s.SQLALCHEMY_POOL_SIZE}) or raise POSTGRES_MAX_CONNECTIONS (then restart the db).`,
      };
    }
    if (s.GUNICORN_TIMEOUT < 60)
      return {
        status: 'warn',
        finding: `GUNICORN_TIMEOUT=${s.GUNICORN_TIMEOUT}s cuts long model calls`,
        fix: 'Raise GUNICORN_TIMEOUT (Dify uses 360) if requests end with a timeout.',
      };
    if (workers > cores * 2)
      return {
        status: 'warn',
        finding: `${workers} processes on ${cores} cores`,
        fix: `Set SERVER_WORKER_AMOUNT to ${cores} (or 0 for one per core).`,
      };
    return { status: 'ok', finding: facts };
  },
};
