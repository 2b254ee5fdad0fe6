/**
 * Issue 13, bug 6: an access token outlived `db reset` (it still listed apps, and creating one gave
 * 500 apps_tenant_id_fkey) and a ban. Now a token whose account or workspace is gone or banned is
 * refused within seconds (a short per-process cache), and never turns into a 500.
 * Also: the app list past its last page reported `total: 0` while apps exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import type { PostgresConnection, TestPostgres } from '../helpers/postgres.js';
import { ADMIN, migratedDatabase, serverEnv, settingsFor, useServers, type TestRedis } from './server-fixtures.js';
import { waitFor } from './server-serve.js';

let pg: TestPostgres;
let redis: TestRedis;
useServers((s) => ({ pg, redis } = s));

const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, unknown>;

/** A fresh database and app with the first admin signed in. */
async function signedIn(
  options: { sessionCheckTtlMs?: number } = {},
): Promise<{ app: DifyApp; db: PostgresConnection; token: string; auth: { authorization: string } }> {
  const db = await migratedDatabase(pg);
  const app = await createApp({
    settings: settingsFor(serverEnv({ db, redis })).settings,
    sessionCheckTtlMs: options.sessionCheckTtlMs,
  });
  expect((await app.inject({ method: 'POST', url: '/console/api/setup', payload: ADMIN })).statusCode).toBe(201);
  const login = await app.inject({ method: 'POST', url: '/console/api/login', payload: ADMIN });
  const token = (json(login).data as { access_token: string }).access_token;
  return { app, db, token, auth: { authorization: `Bearer ${token}` } };
}

/** What `difyctl db reset` leaves: no account, no workspace, a fresh setup by the same email. */
async function resetData(db: PostgresConnection): Promise<void> {
  await pg.exec('TRUNCATE accounts, tenants, dify_setups CASCADE', db.database);
}

const apps: DifyApp[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

describe('access tokens after db reset', () => {
  let ctx: Awaited<ReturnType<typeof signedIn>>;
  beforeAll(async () => {
    ctx = await signedIn();
    apps.push(ctx.app);
  });

  it('are refused within seconds: listing and creating apps answer 401, never 500', async () => {
    const { app, db, auth } = ctx;
    expect((await app.inject({ method: 'GET', url: '/console/api/apps', headers: auth })).statusCode).toBe(200);
    await resetData(db);
    // A new first admin with the same email: the old token must not pass for them either.
    expect((await app.inject({ method: 'POST', url: '/console/api/setup', payload: ADMIN })).statusCode).toBe(201);
    const create = () =>
      app.inject({
        method: 'POST',
        url: '/console/api/apps',
        headers: auth,
        payload: { name: 'after reset', mode: 'chat' },
      });
    // Within the cache window a create may still reach the database: the foreign key then answers 401.
    const statuses = new Set<number>();
    const refused = await waitFor(
      async () => {
        const res = await create();
        statuses.add(res.statusCode);
        return res.statusCode === 401 ? res : undefined;
      },
      { timeoutMs: 10_000, what: 'POST /apps with a token from before the reset → 401' },
    );
    expect([...statuses]).toEqual([401]);
    expect(json(refused)).toMatchObject({ code: 'unauthorized', status: 401 });
    await waitFor(
      async () =>
        (await app.inject({ method: 'GET', url: '/console/api/apps', headers: auth })).statusCode === 401
          ? true
          : undefined,
      {
        timeoutMs: 10_000,
        what: 'GET /apps with a token from before the reset → 401',
      },
    );
    expect((await app.inject({ method: 'GET', url: '/console/api/account/profile', headers: auth })).statusCode).toBe(
      401,
    );
    expect((await pg.exec<{ n: string }>('SELECT count(*) AS n FROM apps', db.database)).rows[0]?.n).toBe('0');
  });
});

describe('access tokens while the session check is cached', () => {
  it('answer 401, not 500 apps_tenant_id_fkey, when the workspace vanished inside the cache window', async () => {
    // A minute of cache: the check passed just before the reset, so only the database can tell.
    const { app, db, auth } = await signedIn({ sessionCheckTtlMs: 60_000 });
    apps.push(app);
    expect((await app.inject({ method: 'GET', url: '/console/api/apps', headers: auth })).statusCode).toBe(200);
    await resetData(db);
    const res = await app.inject({
      method: 'POST',
      url: '/console/api/apps',
      headers: auth,
      payload: { name: 'raced', mode: 'chat' },
    });
    expect(res.statusCode).toBe(401);
    expect(json(res)).toMatchObject({ code: 'unauthorized', status: 401 });
  });
});

describe('access tokens of a banned account', () => {
  it('are refused within seconds of the ban and work again once it is lifted', async () => {
    const { app, db, auth } = await signedIn();
    apps.push(app);
    const list = () => app.inject({ method: 'GET', url: '/console/api/apps', headers: auth });
    expect((await list()).statusCode).toBe(200);
    await pg.exec(`UPDATE accounts SET status = 'banned'`, db.database);
    await waitFor(async () => ((await list()).statusCode === 401 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'a banned account’s token → 401',
    });
    await pg.exec(`UPDATE accounts SET status = 'active'`, db.database);
    await waitFor(async () => ((await list()).statusCode === 200 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the token to work again once the ban is lifted',
    });
  });
});

describe('app list pages', () => {
  it('reports the real total past the last page', async () => {
    const { app, auth } = await signedIn();
    apps.push(app);
    for (const name of ['one', 'two', 'three']) {
      expect(
        (await app.inject({ method: 'POST', url: '/console/api/apps', headers: auth, payload: { name, mode: 'chat' } }))
          .statusCode,
      ).toBe(201);
    }
    const page = async (n: number) =>
      json(await app.inject({ method: 'GET', url: `/console/api/apps?page=${n}&limit=2`, headers: auth }));
    expect(await page(1)).toMatchObject({ page: 1, limit: 2, total: 3, has_more: true });
    expect(((await page(1)).data as unknown[]).length).toBe(2);
    expect(await page(2)).toMatchObject({ page: 2, total: 3, has_more: false });
    expect(((await page(2)).data as unknown[]).length).toBe(1);
    expect(await page(5)).toEqual({ page: 5, limit: 2, total: 3, has_more: false, data: [] });
    const filtered = json(await app.inject({ method: 'GET', url: '/console/api/apps?page=9&name=tw', headers: auth }));
    expect(filtered).toMatchObject({ total: 1, data: [] });
  });
});
