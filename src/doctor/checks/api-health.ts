import { READY_KEY } from '../../server/ready-marker.js';
import { dbTarget, redisTarget, stackState } from '../targets.js';
import type { Check, CheckResult } from '../types.js';

/** Seconds left on the ready marker, from Redis or the PostgreSQL fallback; undefined when absent. */
async function readyMarkerTtl(ctx: Parameters<Check['run']>[0]): Promise<number | undefined> {
  const s = ctx.config.typed;
  if (!s) return undefined;
  const state = await stackState(ctx.config);
  const redis = redisTarget(s, state);
  if (redis !== 'none') {
    const { Redis } = await import('ioredis');
    const client = new Redis({ host: redis.host, port: redis.port, username: redis.username || undefined, password: redis.password || undefined, db: redis.db, lazyConnect: true, connectTimeout: 800, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const ttl = await client.ttl(READY_KEY);
      return ttl >= 0 ? ttl : undefined;
    } finally {
      client.disconnect();
    }
  }
  const { default: pg } = await import('pg');
  const { from: _from, ...conn } = dbTarget(s, state);
  const client = new pg.Client({ ...conn, connectionTimeoutMillis: 800, query_timeout: 800 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const row = (await client.query<{ ttl: number | null }>(`SELECT EXTRACT(EPOCH FROM expires_at - now())::int AS ttl FROM kv_store WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())`, [READY_KEY])).rows[0];
    return row ? (row.ttl ?? Number.POSITIVE_INFINITY) : undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `/health` answers, how fast, and the ready marker is fresh. */
export const apiHealthCheck: Check = {
  id: 'api.health',
  title: 'API server',
  run: async (ctx): Promise<CheckResult> => {
    const s = ctx.config.typed;
    if (!s) return { status: 'skip', finding: 'skipped: the settings do not parse (see config)' };
    const url = `http://127.0.0.1:${s.DIFY_PORT}/health`;
    const started = Date.now();
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(2000)]) });
    } catch {
      return { status: 'fail', finding: `nothing answers at ${url}`, fix: 'Start the server: `difyctl up -d`; if it keeps dying, `difyctl logs api --grep Error -A 10`.' };
    }
    const ms = Date.now() - started;
    const body = (await response.json().catch(() => ({}))) as { status?: string; db?: string; redis?: string; version?: string };
    if (response.status !== 200) {
      return { status: 'fail', finding: `${url} answered ${response.status} (db ${body.db ?? '?'}, redis ${body.redis ?? '?'})`, fix: 'The server runs but a dependency does not answer: see db.connect and redis.' };
    }
    const ttl = await readyMarkerTtl(ctx).catch(() => undefined);
    const marker = ttl === undefined ? 'no ready marker' : `ready marker fresh (${Number.isFinite(ttl) ? `${ttl} s left` : 'no expiry'})`;
    if (ttl === undefined) return { status: 'warn', finding: `healthy in ${ms} ms, but ${marker}`, fix: 'The api refreshes `api_service_status` every 30 s: a missing marker means its store writes fail; see `difyctl logs api`.' };
    if (ms > 1000) return { status: 'warn', finding: `healthy but slow: ${ms} ms; ${marker}`, fix: 'Check api.memory and performance; raise SERVER_WORKER_AMOUNT.' };
    return { status: 'ok', finding: `healthy in ${ms} ms (version ${body.version ?? '?'}); ${marker}` };
  },
};
