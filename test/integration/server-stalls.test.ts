/**
 * Issue 13, weak spots: a stalled PostgreSQL made requests wait forever, a stalled Redis made login
 * hang past 30 s. The real server processes are frozen with SIGSTOP (connections stay open, nothing
 * answers) and always thawed with SIGCONT. Every request must get a JSON answer, 503 (or 504 for a
 * statement the live database cancelled), and the server must recover once the dependency returns.
 * The `[measure]` lines print how long the answers took; bounds are not asserted.
 */
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { freeze } from '../helpers/stall.js';
import { ADMIN, migratedDatabase, serverEnv, settingsFor } from './server-fixtures.js';
import { waitFor } from './server-serve.js';

let database: TestPostgres;
let redis: TestRedis;
let app: DifyApp;
let url: string;
let token: string;

beforeAll(async () => {
  [database, redis] = await Promise.all([startPostgres(), startRedis({ password: '' })]);
  const db = await migratedDatabase(database);
  // GUNICORN_TIMEOUT=4: statements are cancelled after 2 s, a silent database given up after 3 s.
  const env = serverEnv({ db, extra: { ...redis.env(), REDIS_DB: '0', GUNICORN_TIMEOUT: '4' } });
  // Every app list reads PostgreSQL here (no page kept): these tests are about the database path.
  app = await createApp({ settings: settingsFor(env).settings, appListTtlMs: 0 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  await post('/console/api/setup', ADMIN);
  token = ((await (await post('/console/api/login', ADMIN)).json()) as { data: { access_token: string } }).data
    .access_token;
});
afterAll(async () => {
  await app?.close();
  await Promise.all([database?.stop(), redis?.stop()]);
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
}

/** A request, how long it took, and its JSON body: a dropped connection or a hang fails the fetch. */
async function timed(
  what: string,
  request: () => Promise<Response>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const started = Date.now();
  const res = await request();
  const body = (await res.json()) as Record<string, unknown>;
  console.info(`[measure] ${what}: ${res.status} ${String(body.code ?? body.status)} after ${Date.now() - started} ms`);
  return { status: res.status, body };
}

const auth = () => ({ authorization: `Bearer ${token}` });
const listApps = () => fetch(`${url}/console/api/apps`, { headers: auth(), signal: AbortSignal.timeout(20_000) });

describe('a stalled PostgreSQL (SIGSTOP)', () => {
  it('answers every request with 503 JSON in time, and serves again after SIGCONT', async () => {
    expect((await listApps()).status).toBe(200);
    const stall = freeze(database.process.pid!);
    try {
      const results = await Promise.all([
        timed('GET /console/api/apps, database stalled', listApps),
        timed('POST /console/api/apps, database stalled', () =>
          post('/console/api/apps', { name: 'stalled', mode: 'chat' }, auth()),
        ),
        timed('POST /console/api/login, database stalled', () => post('/console/api/login', ADMIN)),
        timed('GET /health, database stalled', () => fetch(`${url}/health`, { signal: AbortSignal.timeout(20_000) })),
      ]);
      for (const { status, body } of results.slice(0, 3))
        expect({ status, code: body.code }).toEqual({ status: 503, code: 'service_unavailable' });
      expect(results[3]).toMatchObject({ status: 503, body: { status: 'unhealthy', db: 'error' } });
    } finally {
      stall.resume();
    }
    await waitFor(async () => ((await listApps()).status === 200 ? true : undefined), {
      timeoutMs: 15_000,
      what: 'GET /apps → 200 after SIGCONT',
    });
  });

  it('answers 504 JSON when a live database cancels a statement past statement_timeout (a lock held elsewhere)', async () => {
    const holder = new pg.Client({
      host: database.host,
      port: database.port,
      user: database.user,
      password: database.password,
      database: app.difyctx.settings.DB_DATABASE,
    });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE apps IN ACCESS EXCLUSIVE MODE');
      const { status, body } = await timed('GET /console/api/apps, table locked', listApps);
      expect({ status, code: body.code }).toEqual({ status: 504, code: 'gateway_timeout' });
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
    expect((await listApps()).status).toBe(200);
  });
});

describe('a stalled Redis (SIGSTOP)', () => {
  it('answers login with 503 JSON within its command timeout, and signs in again after SIGCONT', async () => {
    const stall = freeze(redis.process.pid!);
    try {
      const login = await timed('POST /console/api/login, Redis stalled', () => post('/console/api/login', ADMIN));
      expect({ status: login.status, code: login.body.code }).toEqual({ status: 503, code: 'service_unavailable' });
      const health = await timed('GET /health, Redis stalled', () =>
        fetch(`${url}/health`, { signal: AbortSignal.timeout(20_000) }),
      );
      expect(health).toMatchObject({ status: 503, body: { redis: 'error' } });
    } finally {
      stall.resume();
    }
    await waitFor(async () => ((await post('/console/api/login', ADMIN)).status === 200 ? true : undefined), {
      timeoutMs: 15_000,
      what: 'login → 200 after SIGCONT',
    });
  });
});
