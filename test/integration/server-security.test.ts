import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/cli.js';
import { ADMIN, migratedDatabase, serverEnv, settingsFor, startRedis, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let redis: TestRedis;
let app: DifyApp;
let fallbackApp: DifyApp;
let token: string;
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, any>;

/** The routes that answer without a token; anything else must say 401. */
const PUBLIC = [
  'GET /health',
  'HEAD /health',
  'GET /console/api/setup',
  'HEAD /console/api/setup',
  'POST /console/api/setup',
  'POST /console/api/login',
  'POST /console/api/refresh-token',
  'GET /files/:fileId/file-preview',
  'HEAD /files/:fileId/file-preview',
];

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  const [db, db2] = await Promise.all([migratedDatabase(pg), migratedDatabase(pg)]);
  const limit = { points: 3, durationSeconds: 60 };
  const withRedis = settingsFor(serverEnv({ db, redis }));
  app = await createApp({ settings: withRedis.settings, redisEnabled: true, loginRateLimit: limit, bodyLimit: 4096 });
  const fallback = settingsFor(serverEnv({ db: db2 }));
  fallbackApp = await createApp({ settings: fallback.settings, redisEnabled: false, loginRateLimit: limit });
  await app.inject({ method: 'POST', url: '/console/api/setup', payload: ADMIN });
  const login = await app.inject({ method: 'POST', url: '/console/api/login', payload: ADMIN });
  token = json(login).data.access_token as string;
});
afterAll(async () => {
  await Promise.all([app?.close(), fallbackApp?.close()]);
  await Promise.all([pg?.stop(), redis?.stop()]);
});

const concrete = (url: string): string => url.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');

const OPENAI_DOOR = new Set([
  '/v1/models',
  '/v1/models/:model',
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
]);

describe('authentication on every route', () => {
  it('answers 401 without a token on every route except the public ones', async () => {
    const routes = app.routeTable.filter((r) => r.method !== 'OPTIONS');
    expect(routes.length).toBeGreaterThan(15);
    const publicRoutes = routes.filter((r) => r.auth === 'none').map((r) => `${r.method} ${r.url}`);
    expect(publicRoutes.sort()).toEqual([...PUBLIC].sort());
    for (const route of routes.filter((r) => r.auth !== 'none')) {
      const res = await app.inject({ method: route.method as 'GET', url: concrete(route.url) });
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(401);
      // The OpenAI-compatible door answers in OpenAI's shape; every other route in Dify's.
      if (route.method !== 'HEAD' && OPENAI_DOOR.has(route.url))
        expect(json(res).error, `${route.method} ${route.url}`).toMatchObject({
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        });
      else if (route.method !== 'HEAD')
        expect(json(res), `${route.method} ${route.url}`).toMatchObject({ code: 'unauthorized', status: 401 });
      const forged = await app.inject({
        method: route.method as 'GET',
        url: concrete(route.url),
        headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' },
      });
      expect(forged.statusCode, `${route.method} ${route.url} with a forged token`).toBe(401);
    }
  });

  it('refuses an access token signed with another key', async () => {
    const { SignJWT } = await import('jose');
    const forged = await new SignJWT({ tid: 'x', typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setIssuer('difyctl')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('another-secret-key-0123456789abcdef'));
    expect(
      (await app.inject({ method: 'GET', url: '/console/api/apps', headers: { authorization: `Bearer ${forged}` } }))
        .statusCode,
    ).toBe(401);
  });
});

describe('request guard', () => {
  const auth = () => ({ authorization: `Bearer ${token}` });

  it('answers 413 for a body over the limit, 415 for non-JSON, 400 for malformed JSON, as Dify errors', async () => {
    const big = await app.inject({
      method: 'POST',
      url: '/console/api/apps',
      headers: { ...auth(), 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(8000), mode: 'chat' }),
    });
    expect(big.statusCode).toBe(413);
    expect(json(big)).toMatchObject({ code: 'payload_too_large', status: 413 });
    const text = await app.inject({
      method: 'POST',
      url: '/console/api/apps',
      headers: { ...auth(), 'content-type': 'text/plain' },
      payload: 'name=x',
    });
    expect(text.statusCode).toBe(415);
    expect(json(text)).toMatchObject({ code: 'unsupported_media_type', status: 415 });
    const form = await app.inject({
      method: 'POST',
      url: '/console/api/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=a',
    });
    expect(form.statusCode).toBe(415);
    const malformed = await app.inject({
      method: 'POST',
      url: '/console/api/apps',
      headers: { ...auth(), 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(json(malformed)).toMatchObject({ code: 'invalid_json', status: 400 });
    const empty = await app.inject({
      method: 'POST',
      url: '/console/api/login',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
    const notFound = await app.inject({ method: 'GET', url: '/nope' });
    expect(json(notFound)).toMatchObject({ code: 'not_found', status: 404 });
    expect(notFound.headers['x-version']).toBeTruthy();
  });

  it('never answers 5xx to arbitrary JSON bodies, params or queries', async () => {
    const writes = app.routeTable.filter(
      (r) => ['POST', 'PUT', 'DELETE'].includes(r.method) && !r.url.includes('login') && !r.url.includes('setup'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...writes),
        fc.jsonValue(),
        fc.string({ maxLength: 40 }),
        async (route, body, param) => {
          const url = route.url.replace(/:[A-Za-z]+/g, encodeURIComponent(param) || 'x');
          const res = await app.inject({
            method: route.method as 'POST',
            url: `${url}?page=${encodeURIComponent(param)}`,
            headers: { ...auth(), 'content-type': 'application/json' },
            payload: JSON.stringify(body),
          });
          expect(res.statusCode, `${route.method} ${url} ${res.body}`).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
    const list = await app.inject({ method: 'GET', url: '/console/api/apps?page=-1&limit=abc', headers: auth() });
    expect(list.statusCode).toBe(400);
  });

  it('answers 400, not 500, to NUL characters and numbers past the columns, and Dify errors for undecodable URLs', async () => {
    const bad = [
      await app.inject({
        method: 'POST',
        url: '/console/api/login',
        payload: { email: 'a\u0000@example.com', password: 'x' },
      }),
      await app.inject({
        method: 'POST',
        url: '/console/api/apps',
        headers: auth(),
        payload: { name: 'a\u0000b', mode: 'chat' },
      }),
      await app.inject({ method: 'GET', url: '/console/api/apps?name=%00', headers: auth() }),
    ];
    const appId = json(
      await app.inject({
        method: 'POST',
        url: '/console/api/apps',
        headers: auth(),
        payload: { name: 'limits', mode: 'chat' },
      }),
    ).id as string;
    bad.push(
      await app.inject({
        method: 'PUT',
        url: `/console/api/apps/${appId}`,
        headers: auth(),
        payload: { api_rpm: 1e12 },
      }),
    );
    for (const res of bad) expect(json(res), res.body).toMatchObject({ code: 'invalid_param', status: 400 });
    expect(json(bad[1]!).message).toMatch(/^name: .*NUL/);
    const undecodable = await app.inject({ method: 'GET', url: '/console/api/apps/%E0%A4%A', headers: auth() });
    expect(undecodable.statusCode).toBe(400);
    expect(json(undecodable)).toMatchObject({ code: 'bad_request', status: 400 });
    expect(undecodable.headers['x-version']).toBeTruthy();
    const tooLong = await app.inject({ method: 'GET', url: `/console/api/apps/${'a'.repeat(200)}`, headers: auth() });
    expect(json(tooLong)).toMatchObject({ code: 'uri_too_long', status: 414 });
  });
});

describe('robustness', () => {
  it('survives the database dropping a connection while a transaction waits on it', async () => {
    const { inTransaction } = await import('../../src/server/db.js');
    const { pool, settings } = app.difyctx;
    const failed = await inTransaction(pool, async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const ended = new Promise((resolve) => client.once('end', resolve));
      await pg.exec(`SELECT pg_terminate_backend(${rows[0]!.pid})`, settings.DB_DATABASE);
      // Bounded: without a listener of its own the 'error' escapes and 'end' may never be seen.
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2000))]);
    }).then(
      () => 'committed',
      (error: Error) => error.message,
    );
    expect(failed).not.toBe('committed');
    // The broken client was dropped, not pooled again.
    expect(
      (await app.inject({ method: 'GET', url: '/console/api/apps', headers: { authorization: `Bearer ${token}` } }))
        .statusCode,
    ).toBe(200);
  });

  it('never lets concurrent requests give an app more than 10 API keys', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const appId = json(
      await app.inject({
        method: 'POST',
        url: '/console/api/apps',
        headers: auth,
        payload: { name: 'many keys', mode: 'chat' },
      }),
    ).id as string;
    const results = await Promise.all(
      Array.from({ length: 13 }, () =>
        app.inject({ method: 'POST', url: `/console/api/apps/${appId}/api-keys`, headers: auth }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(10);
    expect(results.filter((r) => r.statusCode === 400).map((r) => json(r).code)).toEqual([
      'max_keys_exceeded',
      'max_keys_exceeded',
      'max_keys_exceeded',
    ]);
  });
});

describe('refresh tokens', () => {
  it('renews nothing for an account that was banned after it signed in', async () => {
    const login = await app.inject({
      method: 'POST',
      url: '/console/api/login',
      remoteAddress: '198.51.100.1',
      payload: ADMIN,
    });
    const refresh = json(login).data.refresh_token as string;
    const database = app.difyctx.settings.DB_DATABASE;
    await pg.exec(`UPDATE accounts SET status = 'banned'`, database);
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/console/api/refresh-token',
        payload: { refresh_token: refresh },
      });
      expect(res.statusCode).toBe(401);
    } finally {
      await pg.exec(`UPDATE accounts SET status = 'active'`, database);
    }
  });
});

describe.each([
  ['Redis', () => app],
  ['the PostgreSQL fallback', () => fallbackApp],
])('login rate limit on %s', (_name, get) => {
  it('answers 429 with Retry-After once a client address spends its logins', async () => {
    const target = get();
    const attempt = () =>
      target.inject({
        method: 'POST',
        url: '/console/api/login',
        remoteAddress: '203.0.113.9',
        payload: { email: 'x@example.com', password: 'wrong' },
      });
    for (let i = 0; i < 3; i++) expect((await attempt()).statusCode).toBe(401);
    const limited = await attempt();
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(json(limited)).toMatchObject({ code: 'too_many_requests', status: 429 });
    const other = await target.inject({
      method: 'POST',
      url: '/console/api/login',
      remoteAddress: '203.0.113.10',
      payload: { email: 'x@example.com', password: 'wrong' },
    });
    expect(other.statusCode).toBe(401);
  });
});

describe('login rate limit behind a proxy', () => {
  it('by default believes no X-Forwarded-For: a client on loopback rotating it is still limited', async () => {
    // Before issue 13 any loopback or private peer was taken for a proxy: a fresh forged address
    // per attempt escaped the limit. RESPECT_XFORWARD_HEADERS_ENABLED is off by default, as in Dify.
    const attempt = (i: number) =>
      app.inject({
        method: 'POST',
        url: '/console/api/login',
        remoteAddress: '127.0.0.9',
        headers: { 'x-forwarded-for': `198.18.2.${i}` },
        payload: { email: 'x@example.com', password: 'wrong' },
      });
    for (let i = 0; i < 3; i++) expect((await attempt(i)).statusCode).toBe(401);
    expect((await attempt(3)).statusCode).toBe(429);
  });

  it('counts by the address the trusted proxy appended; addresses a client forges in X-Forwarded-For change nothing', async () => {
    // RESPECT_XFORWARD_HEADERS_ENABLED with Dify's nginx (10.0.0.2) in FORWARDED_ALLOW_IPS: it
    // appends the real client, a machine of the LAN (192.168.1.50), to whatever the client sent,
    // here a fresh forged chain each time.
    const db = await migratedDatabase(pg);
    const proxied = await createApp({
      settings: settingsFor(
        serverEnv({
          db,
          redis,
          extra: { RESPECT_XFORWARD_HEADERS_ENABLED: 'true', FORWARDED_ALLOW_IPS: '127.0.0.1, 10.0.0.0/8' },
        }),
      ).settings,
      loginRateLimit: { points: 3, durationSeconds: 60 },
    });
    try {
      await runProxiedLimits(proxied);
    } finally {
      await proxied.close();
    }
  });

  it('counts an IPv6 client by its /64, so a fresh address per attempt does not help', async () => {
    const attempt = (i: number) =>
      app.inject({
        method: 'POST',
        url: '/console/api/login',
        remoteAddress: `2001:db8:5:6::${i + 1}`,
        payload: { email: 'x@example.com', password: 'wrong' },
      });
    for (let i = 0; i < 3; i++) expect((await attempt(i)).statusCode).toBe(401);
    expect((await attempt(3)).statusCode).toBe(429);
  });
});

async function runProxiedLimits(target: DifyApp): Promise<void> {
  const login = (remoteAddress: string, forwardedFor: string) =>
    target.inject({
      method: 'POST',
      url: '/console/api/login',
      remoteAddress,
      headers: { 'x-forwarded-for': forwardedFor },
      payload: { email: 'x@example.com', password: 'wrong' },
    });
  for (let i = 0; i < 3; i++)
    expect((await login('10.0.0.2', `198.18.0.${i}, 10.9.9.${i}, 192.168.1.50`)).statusCode).toBe(401);
  expect((await login('10.0.0.2', '198.18.0.3, 192.168.1.50')).statusCode).toBe(429);
  // Another client behind the same proxy has its own count: the proxy's address is not what counts.
  expect((await login('10.0.0.2', '192.168.1.51')).statusCode).toBe(401);
  // A peer outside FORWARDED_ALLOW_IPS is never believed: its own address counts.
  for (let i = 0; i < 3; i++) expect((await login('203.0.113.77', `198.18.1.${i}`)).statusCode).toBe(401);
  expect((await login('203.0.113.77', '198.18.1.3')).statusCode).toBe(429);
}

describe('service API rate limit', () => {
  it("answers 429 once a key spends its app's api_rpm, per key", async () => {
    const auth = { authorization: `Bearer ${token}` };
    const appId = json(
      await app.inject({
        method: 'POST',
        url: '/console/api/apps',
        headers: auth,
        payload: { name: 'limited', mode: 'chat' },
      }),
    ).id as string;
    await app.inject({ method: 'PUT', url: `/console/api/apps/${appId}`, headers: auth, payload: { api_rpm: 2 } });
    const keyA = json(await app.inject({ method: 'POST', url: `/console/api/apps/${appId}/api-keys`, headers: auth }))
      .token as string;
    const keyB = json(await app.inject({ method: 'POST', url: `/console/api/apps/${appId}/api-keys`, headers: auth }))
      .token as string;
    const info = (key: string) =>
      app.inject({ method: 'GET', url: '/v1/info', headers: { authorization: `Bearer ${key}` } });
    expect((await info(keyA)).statusCode).toBe(200);
    expect((await info(keyA)).statusCode).toBe(200);
    const limited = await info(keyA);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await info(keyB)).statusCode).toBe(200);
  });
});

describe('extensions', () => {
  it('wraps requests in CUSTOM_MIDDLEWARE_MODULE and loads provider plugins, skipping broken ones', async () => {
    const tmp = await tempDir();
    try {
      await mkdir(path.join(tmp.dir, 'plugins'), { recursive: true });
      const templates = path.resolve('templates');
      await writeFile(
        path.join(tmp.dir, 'plugins/echo.js'),
        await import('node:fs/promises').then((fs) =>
          fs.readFile(path.join(templates, 'plugins/providers/example-provider.js'), 'utf8'),
        ),
      );
      await writeFile(
        path.join(tmp.dir, 'plugins/broken.js'),
        'export function registerProvider() { throw new Error("boom"); }\n',
      );
      await writeFile(path.join(tmp.dir, 'plugins/syntax.js'), 'export function registerProvider( {\n');
      await writeFile(
        path.join(tmp.dir, 'mw.js'),
        await import('node:fs/promises').then((fs) =>
          fs.readFile(path.join(templates, 'middleware/example.js'), 'utf8'),
        ),
      );
      await writeFile(
        path.join(tmp.dir, 'deny.js'),
        'export async function middleware(request, reply, next) { if (request.url.startsWith("/health")) { reply.code(418).send({ denied: true }); return; } await next(); }\n',
      );
      const db = await migratedDatabase(pg);
      const env = serverEnv({
        db,
        extra: {
          CUSTOM_MIDDLEWARE_ENABLED: 'true',
          CUSTOM_MIDDLEWARE_MODULE: './mw.js',
          PROVIDER_PLUGINS_DIR: 'plugins',
          ENABLE_RESPONSE_COMPRESSION: 'true',
        },
      });
      const withMw = await createApp({ settings: settingsFor(env).settings, redisEnabled: false, baseDir: tmp.dir });
      try {
        const res = await withMw.inject({ method: 'GET', url: '/health' });
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-example-middleware']).toMatch(/^\d+ms$/);
        expect(
          withMw.difyctx.modelRuntime
            .providers()
            .filter((p) => p.source !== 'builtin')
            .map((p) => p.provider),
        ).toEqual(['echo']);
        await withMw.inject({ method: 'POST', url: '/console/api/setup', payload: ADMIN });
        const auth = {
          authorization: `Bearer ${json(await withMw.inject({ method: 'POST', url: '/console/api/login', payload: ADMIN })).data.access_token}`,
        };
        for (let i = 0; i < 5; i++)
          await withMw.inject({
            method: 'POST',
            url: '/console/api/apps',
            headers: auth,
            payload: { name: `app ${i}`, mode: 'chat', description: 'd'.repeat(400) },
          });
        const list = await withMw.inject({
          method: 'GET',
          url: '/console/api/apps',
          headers: { ...auth, 'accept-encoding': 'gzip' },
        });
        expect(list.statusCode).toBe(200);
        expect(list.headers['content-encoding']).toBe('gzip');
        const { gunzipSync } = await import('node:zlib');
        expect(JSON.parse(gunzipSync(list.rawPayload).toString()).total).toBe(5);
      } finally {
        await withMw.close();
      }
      const denyEnv = { ...env, CUSTOM_MIDDLEWARE_MODULE: './deny.js' };
      const denied = await createApp({
        settings: settingsFor(denyEnv).settings,
        redisEnabled: false,
        baseDir: tmp.dir,
      });
      try {
        const res = await denied.inject({ method: 'GET', url: '/health' });
        expect(res.statusCode).toBe(418);
        expect(res.headers['x-env']).toBe('TESTING');
      } finally {
        await denied.close();
      }
    } finally {
      await tmp.cleanup();
    }
  });
});
