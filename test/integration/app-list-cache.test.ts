/**
 * Issue 16: each api process keeps the console's app list pages in memory and drops a workspace's
 * pages when PostgreSQL notifies a write to `apps` (migration 0009, src/server/store/change-feed.ts).
 * Two app instances on one database, each with its own pool and change feed, as two api processes.
 * The pages' time-to-live is set to a minute here, so that only a notification (or this process's own
 * write) can make a change show within the tests' waits.
 */
import pgClient from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import type { PostgresConnection, TestPostgres } from '../helpers/postgres.js';
import { ADMIN, migratedDatabase, serverEnv, settingsFor, useServers, type TestRedis } from './server-fixtures.js';
import { waitFor } from './server-serve.js';

let pg: TestPostgres;
let redis: TestRedis;
useServers((s) => ({ pg, redis } = s));

const json = (res: { body: string }) => JSON.parse(res.body) as { total: number; data: Array<{ name: string }> };

describe('the app list a process keeps', () => {
  let db: PostgresConnection;
  let a: DifyApp;
  let b: DifyApp;
  let auth: { authorization: string };
  const names = async (app: DifyApp): Promise<string[]> => {
    const res = await app.inject({ method: 'GET', url: '/console/api/apps?limit=100', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    return json(res)
      .data.map((x) => x.name)
      .sort();
  };
  const create = async (app: DifyApp, name: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/console/api/apps',
      headers: auth,
      payload: { name, mode: 'chat' },
    });
    expect(res.statusCode).toBe(201);
    return (JSON.parse(res.body) as { id: string }).id;
  };
  const sql = (text: string) => pg.exec(text, db.database);
  const listener = async () =>
    (
      await sql(
        `SELECT pid FROM pg_stat_activity WHERE application_name = 'difyctl-changes' AND datname = current_database()`,
      )
    ).rows as Array<{ pid: number }>;

  beforeAll(async () => {
    db = await migratedDatabase(pg);
    const settings = settingsFor(serverEnv({ db, redis })).settings;
    a = await createApp({ settings, appListTtlMs: 60_000 });
    b = await createApp({ settings, appListTtlMs: 60_000 });
    expect((await a.inject({ method: 'POST', url: '/console/api/setup', payload: ADMIN })).statusCode).toBe(201);
    const login = await a.inject({ method: 'POST', url: '/console/api/login', payload: ADMIN });
    auth = {
      authorization: `Bearer ${(JSON.parse(login.body) as { data: { access_token: string } }).data.access_token}`,
    };
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('is served from memory: a change PostgreSQL does not announce stays unseen', async () => {
    await create(a, 'first');
    expect(await names(b)).toEqual(['first']);
    // Behind the triggers' back (as no difyctl code writes): the page kept by b does not change.
    await sql(`ALTER TABLE apps DISABLE TRIGGER apps_notify_rows`);
    try {
      await sql(`UPDATE apps SET name = 'renamed quietly'`);
      expect(await names(b)).toEqual(['first']);
    } finally {
      await sql(`ALTER TABLE apps ENABLE TRIGGER apps_notify_rows`);
    }
    await sql(`UPDATE apps SET name = 'first'`);
    await waitFor(async () => ((await names(b)).join() === 'first' ? true : undefined), {
      timeoutMs: 10_000,
      what: 'b to hear the rename back',
    });
  });

  it("shows another process's write once PostgreSQL's notification arrives", async () => {
    expect(await names(b)).toEqual(['first']);
    await create(a, 'second');
    await waitFor(async () => ((await names(b)).includes('second') ? true : undefined), {
      timeoutMs: 10_000,
      what: "b's list to show the app a created",
    });
    const id = await create(b, 'third');
    // Deleted through b: a hears of it; b drops its own pages before answering.
    expect((await b.inject({ method: 'DELETE', url: `/console/api/apps/${id}`, headers: auth })).statusCode).toBe(204);
    expect(await names(b)).toEqual(['first', 'second']);
    await waitFor(async () => ((await names(a)).join() === 'first,second' ? true : undefined), {
      timeoutMs: 10_000,
      what: "a's list to lose the app b deleted",
    });
  });

  it("shows this process's own write at once, without waiting for the notification", async () => {
    expect(await names(a)).toEqual(['first', 'second']);
    await create(a, 'fourth');
    expect(await names(a)).toEqual(['first', 'fourth', 'second']);
    const [row] = (await sql(`SELECT id FROM apps WHERE name = 'fourth'`)).rows as Array<{ id: string }>;
    const renamed = await a.inject({
      method: 'PUT',
      url: `/console/api/apps/${row!.id}`,
      headers: auth,
      payload: { name: 'fifth' },
    });
    expect(renamed.statusCode).toBe(200);
    expect(await names(a)).toEqual(['fifth', 'first', 'second']);
  });

  it('reads through while its LISTEN connection is lost, and keeps pages again once back', async () => {
    expect(await listener()).toHaveLength(2);
    const stars: string[] = [];
    const off = b.difyctx.changes.on('apps', (key) => key === '*' && stars.push(key));
    await names(b); // b's pool keeps this connection idle: it can still read while new logins are refused
    const direct = new pgClient.Client({ connectionString: db.url });
    await direct.connect();
    try {
      // The listener is cut and cannot come back: b's feed is down, so b must read PostgreSQL.
      await pg.exec(`ALTER DATABASE "${db.database}" ALLOW_CONNECTIONS false`);
      await direct.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'difyctl-changes'`,
      );
      await waitFor(async () => (!b.difyctx.changes.live ? true : undefined), {
        timeoutMs: 10_000,
        what: 'b to notice',
      });
      expect(stars).toEqual(['*']);
      await direct.query(`ALTER TABLE apps DISABLE TRIGGER apps_notify_rows`);
      await direct.query(`UPDATE apps SET name = 'sixth' WHERE name = 'fifth'`);
      await direct.query(`ALTER TABLE apps ENABLE TRIGGER apps_notify_rows`);
      expect(await names(b)).toContain('sixth');
    } finally {
      await pg.exec(`ALTER DATABASE "${db.database}" ALLOW_CONNECTIONS true`);
      await direct.end();
    }
    await waitFor(async () => (b.difyctx.changes.live && a.difyctx.changes.live ? true : undefined), {
      timeoutMs: 15_000,
      what: 'both feeds to listen again',
    });
    expect(stars).toEqual(['*', '*']); // back: told that anything may have changed meanwhile
    off();
    // Back and listening: a notified change is heard.
    await create(a, 'seventh');
    await waitFor(async () => ((await names(b)).includes('seventh') ? true : undefined), {
      timeoutMs: 10_000,
      what: "b's list to show the app a created after the reconnect",
    });
  });
});
