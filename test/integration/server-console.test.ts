import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { ADMIN, migratedDatabase, serverEnv, settingsFor, useServers, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let redis: TestRedis;

useServers((servers) => ({ pg, redis } = servers));

describe.each([
  ['with Redis', true],
  ['without Redis (PostgreSQL fallback)', false],
])('console API %s', (_name, withRedis) => {
  let app: DifyApp;
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, any>;

  beforeAll(async () => {
    const db = await migratedDatabase(pg);
    const { settings, redisEnabled } = settingsFor(serverEnv({ db, redis: withRedis ? redis : undefined }));
    app = await createApp({ settings, redisEnabled });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('runs setup once, then login, profile, apps CRUD, API keys, refresh and logout', async () => {
    expect(json(await app.inject({ method: 'GET', url: '/console/api/setup' }))).toEqual({ step: 'not_started' });
    const setup = await app.inject({ method: 'POST', url: '/console/api/setup', payload: ADMIN });
    expect(setup.statusCode).toBe(201);
    const again = await app.inject({
      method: 'POST',
      url: '/console/api/setup',
      payload: { ...ADMIN, email: 'other@example.com' },
    });
    expect(again.statusCode).toBe(403);
    expect(json(again)).toMatchObject({ code: 'already_setup', status: 403 });
    expect(json(await app.inject({ method: 'GET', url: '/console/api/setup' })).step).toBe('finished');

    const wrong = await app.inject({
      method: 'POST',
      url: '/console/api/login',
      payload: { email: ADMIN.email, password: 'nope' },
    });
    expect(wrong.statusCode).toBe(401);
    const login = await app.inject({
      method: 'POST',
      url: '/console/api/login',
      payload: { email: ADMIN.email.toUpperCase(), password: ADMIN.password },
    });
    expect(login.statusCode).toBe(200);
    const tokens = json(login).data as { access_token: string; refresh_token: string };
    expect(json(login).result).toBe('success');
    const auth = { authorization: `Bearer ${tokens.access_token}` };

    const profile = await app.inject({ method: 'GET', url: '/console/api/account/profile', headers: auth });
    expect(profile.statusCode).toBe(200);
    expect(json(profile)).toMatchObject({ email: ADMIN.email, name: ADMIN.name });
    expect(profile.headers['x-version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(profile.headers['x-env']).toBe('TESTING');

    const created = await app.inject({
      method: 'POST',
      url: '/console/api/apps',
      headers: auth,
      payload: { name: 'Helper', mode: 'chat', description: 'd' },
    });
    expect(created.statusCode).toBe(201);
    const appId = json(created).id as string;
    const list = json(await app.inject({ method: 'GET', url: '/console/api/apps?page=1&limit=10', headers: auth }));
    expect(list).toMatchObject({ page: 1, limit: 10, total: 1, has_more: false });
    expect(list.data[0]).toMatchObject({ id: appId, name: 'Helper', mode: 'chat' });
    // The list shows an app as its detail and its creation do: the same fields, unix seconds.
    const detail = json(await app.inject({ method: 'GET', url: `/console/api/apps/${appId}`, headers: auth }));
    const listed = list.data[0] as Record<string, unknown>;
    expect(Object.keys(listed).sort()).toEqual(Object.keys(json(created)).sort());
    expect(listed).toEqual(Object.fromEntries(Object.keys(listed).map((k) => [k, detail[k]])));
    expect(Number.isInteger(listed.created_at)).toBe(true);
    const updated = await app.inject({
      method: 'PUT',
      url: `/console/api/apps/${appId}`,
      headers: auth,
      payload: { name: 'Renamed' },
    });
    expect(json(updated).name).toBe('Renamed');
    expect(json(await app.inject({ method: 'GET', url: `/console/api/apps/${appId}`, headers: auth })).name).toBe(
      'Renamed',
    );
    const missing = await app.inject({
      method: 'GET',
      url: '/console/api/apps/00000000-0000-4000-8000-000000000000',
      headers: auth,
    });
    expect(missing.statusCode).toBe(404);
    const badMode = await app.inject({
      method: 'POST',
      url: '/console/api/apps',
      headers: auth,
      payload: { name: 'x', mode: 'nope' },
    });
    expect(json(badMode)).toMatchObject({ code: 'invalid_param', status: 400 });

    const key = await app.inject({ method: 'POST', url: `/console/api/apps/${appId}/api-keys`, headers: auth });
    expect(key.statusCode).toBe(201);
    const token = json(key).token as string;
    expect(token).toMatch(/^app-[A-Za-z0-9]{24}$/);
    const keys = json(await app.inject({ method: 'GET', url: `/console/api/apps/${appId}/api-keys`, headers: auth }));
    expect(keys.data).toHaveLength(1);
    expect(JSON.stringify(keys)).not.toContain(token);
    const stored = await pg.exec<{ token_hash: string }>(
      'SELECT token_hash FROM api_tokens',
      app.difyctx.settings.DB_DATABASE,
    );
    expect(stored.rows[0]?.token_hash).not.toContain(token.slice(4));
    const info = await app.inject({ method: 'GET', url: '/v1/info', headers: { authorization: `Bearer ${token}` } });
    expect(info.statusCode).toBe(200);
    expect(json(info).name).toBe('Renamed');
    expect(
      (await app.inject({ method: 'GET', url: '/v1/info', headers: { authorization: `Bearer ${token}x` } })).statusCode,
    ).toBe(401);

    const refreshed = await app.inject({
      method: 'POST',
      url: '/console/api/refresh-token',
      payload: { refresh_token: tokens.refresh_token },
    });
    expect(refreshed.statusCode).toBe(200);
    const next = json(refreshed).data as { access_token: string; refresh_token: string };
    const reused = await app.inject({
      method: 'POST',
      url: '/console/api/refresh-token',
      payload: { refresh_token: tokens.refresh_token },
    });
    expect(reused.statusCode).toBe(401);
    const logout = await app.inject({
      method: 'POST',
      url: '/console/api/logout',
      headers: { authorization: `Bearer ${next.access_token}` },
      payload: { refresh_token: next.refresh_token },
    });
    expect(logout.statusCode).toBe(200);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/console/api/refresh-token',
          payload: { refresh_token: next.refresh_token },
        })
      ).statusCode,
    ).toBe(401);

    const keyId = keys.data[0].id as string;
    expect(
      (await app.inject({ method: 'DELETE', url: `/console/api/apps/${appId}/api-keys/${keyId}`, headers: auth }))
        .statusCode,
    ).toBe(204);
    expect(
      (await app.inject({ method: 'GET', url: '/v1/info', headers: { authorization: `Bearer ${token}` } })).statusCode,
    ).toBe(401);

    const deleted = await app.inject({ method: 'DELETE', url: `/console/api/apps/${appId}`, headers: auth });
    expect(deleted.statusCode).toBe(204);
    expect(json(await app.inject({ method: 'GET', url: '/console/api/apps', headers: auth })).total).toBe(0);
  });

  it('reports health with the store in use', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({
      status: 'healthy',
      pid: process.pid,
      db: 'ok',
      redis: withRedis ? 'ok' : 'fallback',
    });
    expect(res.headers['x-env']).toBe('TESTING');
  });

  it('keeps values with a TTL in the store, hands one-time values out once, and forgets expired ones', async () => {
    const kv = app.difyctx.store.kv;
    expect(kv.kind).toBe(withRedis ? 'redis' : 'postgres');
    await kv.set('k', 'v', 60);
    expect(await kv.get('k')).toBe('v');
    expect(await kv.setIfAbsent('lock', 'a', 60)).toBe(true);
    expect(await kv.setIfAbsent('lock', 'b', 60)).toBe(false);
    expect(await kv.deleteIfValue('lock', 'b')).toBe(false);
    expect(await kv.deleteIfValue('lock', 'a')).toBe(true);
    expect(await kv.present(['k', 'absent', 'lock'])).toEqual(new Set(['k']));
    expect(await kv.present([])).toEqual(new Set());
    expect(await kv.take('k')).toBe('v');
    expect(await kv.take('k')).toBeNull();
    if (kv.kind === 'redis') return;
    // The fallback's own expiry logic: an expired kv_store row reads as absent.
    await kv.set('expiring', 'v', 60);
    await kv.setIfAbsent('held-lock', 'owner', 60);
    await pg.exec(
      `UPDATE kv_store SET expires_at = now() - interval '1 second' WHERE key IN ('expiring', 'held-lock')`,
      app.difyctx.settings.DB_DATABASE,
    );
    expect(await kv.get('expiring')).toBeNull();
    expect(await kv.present(['expiring'])).toEqual(new Set());
    expect(await kv.take('expiring')).toBeNull();
    expect(await kv.setIfAbsent('held-lock', 'next', 60)).toBe(true);
    expect(await kv.get('held-lock')).toBe('next');
  });
});
