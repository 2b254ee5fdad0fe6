import type pg from 'pg';

export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  db: 'ok' | 'error';
  /** `fallback` when there is no Redis and PostgreSQL carries its duties. */
  redis: 'ok' | 'error' | 'fallback';
}

/** GET /health's body (SPEC §5), for the route and for the server's own answer (health-first.ts). */
export const healthBody = (report: HealthReport, version: string) => ({
  status: report.status,
  pid: process.pid,
  version,
  db: report.db,
  redis: report.redis,
});

/** GET /health's status: 503 while a dependency does not answer. */
export const healthStatus = (report: HealthReport): number => (report.status === 'healthy' ? 200 : 503);

export interface HealthCheckOptions {
  pool: pg.Pool;
  pingRedis?: () => Promise<void>;
  /** Each dependency check is cut after this long. @default 800 */
  timeoutMs?: number;
  /** A result is reused this long, so /health costs a few ms under load. @default 1000 */
  cacheMs?: number;
  now?: () => number;
}

const within = async (work: () => Promise<unknown>, timeoutMs: number): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs))),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
};

/** The deep check behind GET /health: one round trip per dependency, shared by concurrent callers. */
export function createHealthCheck(options: HealthCheckOptions): () => Promise<HealthReport> {
  const timeoutMs = options.timeoutMs ?? 800;
  const cacheMs = options.cacheMs ?? 1000;
  const now = options.now ?? Date.now;
  let cached: { at: number; report: Promise<HealthReport> } | undefined;
  const run = async (): Promise<HealthReport> => {
    const [db, redis] = await Promise.all([
      // The query's own timeout drops a connection to a stalled database instead of leaving it busy
      // (pg reads `query_timeout` from the query config; @types/pg's QueryConfig does not list it).
      within(() => options.pool.query({ text: 'SELECT 1', query_timeout: timeoutMs } as pg.QueryConfig), timeoutMs),
      options.pingRedis ? within(options.pingRedis, timeoutMs) : Promise.resolve(null),
    ]);
    const redisState = redis === null ? 'fallback' : redis ? 'ok' : 'error';
    return { status: db && redis !== false ? 'healthy' : 'unhealthy', db: db ? 'ok' : 'error', redis: redisState };
  };
  return () => {
    if (!cached || now() - cached.at >= cacheMs) cached = { at: now(), report: run() };
    return cached.report;
  };
}
