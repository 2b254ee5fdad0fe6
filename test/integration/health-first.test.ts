import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import { createLogger } from '../../src/server/logger.js';
import { tempDir } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { migratedDatabase, serverEnv, settingsFor, startRedis, type TestRedis } from './server-fixtures.js';
import { waitFor } from './server-serve.js';

// GET /health is answered by the api's HTTP server before routing (src/server/health-first.ts).
// These tests hold it to the route's own answer, and to the hooks that must still see every request.

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request over a real socket: what a probe or a load balancer sees. */
const get = (app: DifyApp, url: string, method = 'GET'): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const { port } = app.server.address() as AddressInfo;
    http
      .request({ host: '127.0.0.1', port, path: url, method, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject)
      .end();
  });

/** The same request through fastify's router and hooks (inject never touches the HTTP server). */
const routed = async (app: DifyApp, url: string, method: 'GET' | 'HEAD' = 'GET'): Promise<Answer> => {
  const res = await app.inject({ method, url });
  return { status: res.statusCode, headers: res.headers, body: res.body };
};

/** Headers a response carries whoever wrote it, without the ones the socket adds (date, keep-alive). */
const own = ({ headers }: Answer) => {
  const { date: _date, connection: _connection, 'keep-alive': _keepAlive, ...rest } = headers;
  return rest;
};

let pg: TestPostgres;
let tmp: Awaited<ReturnType<typeof tempDir>>;
const apps: DifyApp[] = [];
const redises: TestRedis[] = [];

async function listening(env: Record<string, string>, logStream?: PassThrough): Promise<DifyApp> {
  const { settings } = settingsFor(env);
  const logger = logStream ? createLogger({ settings, stream: logStream }) : undefined;
  const app = await createApp({ settings, redisEnabled: true, baseDir: tmp.dir, logger });
  apps.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return app;
}

async function withRedis(extra: Record<string, string> = {}, logStream?: PassThrough) {
  const redis = await startRedis();
  redises.push(redis);
  const app = await listening(serverEnv({ db: await migratedDatabase(pg), redis, extra }), logStream);
  return { app, redis };
}

beforeAll(async () => {
  [pg, tmp] = await Promise.all([startPostgres(), tempDir()]);
  await writeFile(
    path.join(tmp.dir, 'seen-middleware.js'),
    "export async function middleware(request, reply, next) { reply.header('x-seen-by-middleware', request.url); await next(); }\n",
  );
});
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await Promise.all(redises.map((redis) => redis.stop()));
  await Promise.all([pg?.stop(), tmp?.cleanup()]);
});

describe('GET /health before routing', () => {
  it("gives the route's own status, headers and body, healthy and unhealthy", async () => {
    const { app, redis } = await withRedis();
    const first = await get(app, '/health');
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({
      status: 'healthy',
      pid: process.pid,
      version: app.difyctx.version,
      db: 'ok',
      redis: 'ok',
    });
    const viaRouter = await routed(app, '/health');
    expect(own(first)).toEqual(own(viaRouter));
    expect(first.body).toBe(viaRouter.body);
    expect(first.headers).toMatchObject({
      'x-version': app.difyctx.version,
      'x-env': app.difyctx.settings.DEPLOY_ENV,
    });

    // Redis gone: 503 from both, with the same body once the cached report (≤ 1 s) has expired.
    await redis.stop();
    const down = await waitFor(
      async () => {
        const answer = await get(app, '/health');
        return answer.status === 503 ? answer : undefined;
      },
      { timeoutMs: 5000, what: '/health → 503 after Redis stopped' },
    );
    expect(JSON.parse(down.body)).toMatchObject({ status: 'unhealthy', db: 'ok', redis: 'error' });
    const downViaRouter = await routed(app, '/health');
    expect(downViaRouter.status).toBe(503);
    expect(own(down)).toEqual(own(downViaRouter));
    expect(down.body).toBe(downViaRouter.body);
  });

  it('leaves HEAD, a query string and other methods to the router, with the same answer', async () => {
    const { app } = await withRedis();
    const plain = await get(app, '/health');
    const withQuery = await get(app, '/health?probe=1');
    expect(withQuery.status).toBe(200);
    expect(own(withQuery)).toEqual(own(plain));
    expect(withQuery.body).toBe(plain.body);
    const head = await get(app, '/health', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(own(head)).toEqual(own(await routed(app, '/health', 'HEAD')));
    const post = await get(app, '/health', 'POST');
    expect(post.status).toBe(404);
    expect(post.headers['x-version']).toBe(app.difyctx.version);
  });

  it('still passes /health through custom middleware and the DEBUG request log', async () => {
    const { app } = await withRedis({
      CUSTOM_MIDDLEWARE_ENABLED: 'true',
      CUSTOM_MIDDLEWARE_MODULE: './seen-middleware.js',
    });
    const answer = await get(app, '/health');
    expect(answer.status).toBe(200);
    expect(answer.headers['x-seen-by-middleware']).toBe('/health');

    const lines: string[] = [];
    const stream = new PassThrough();
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    const { app: debugApp } = await withRedis({ LOG_LEVEL: 'DEBUG' }, stream);
    expect((await get(debugApp, '/health')).status).toBe(200);
    const logged = await waitFor(
      async () =>
        lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'request' && entry.url === '/health'),
      { timeoutMs: 2000, what: 'the DEBUG request line of /health' },
    );
    expect(logged).toMatchObject({ method: 'GET', status: 200 });
  });
});
