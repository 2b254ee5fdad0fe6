/**
 * Issue 13, bug 2: slow request bodies must not take SERVER_WORKER_CONNECTIONS slots (ten of them
 * froze every route, /health included), a body that stalls past the bound is answered 408 and
 * closed, and a request past GUNICORN_TIMEOUT gets a JSON answer instead of a dropped connection.
 * Timings are printed by bench/server-slow-bodies.mjs, not asserted here.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { ADMIN, migratedDatabase, serverEnv, settingsFor, useServers, type TestRedis } from './server-fixtures.js';
import { waitFor } from './server-serve.js';

let pg: TestPostgres;
let redis: TestRedis;
useServers((s) => ({ pg, redis } = s));

const CONNECTIONS = 3;
const SLOW = 12;

interface SlowClient {
  received(): string;
  closed(): boolean;
  destroy(): void;
}

/** A client that sends its headers, then one byte of a 100-byte body every 200 ms. */
function slowBody(port: number, request: { path: string; token?: string }): Promise<SlowClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('close', () => {
      closed = true;
      clearInterval(timer);
    });
    socket.on('error', () => {});
    socket.once('connect', () => {
      const auth = request.token ? `Authorization: Bearer ${request.token}\r\n` : '';
      socket.write(
        `POST ${request.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${auth}Content-Length: 100\r\n\r\n{`,
      );
      timer = setInterval(() => socket.writable && socket.write(' '), 200);
      resolve({ received: () => data, closed: () => closed, destroy: () => socket.destroy() });
    });
    socket.once('error', reject);
  });
}

describe('slow request bodies', () => {
  let app: DifyApp;
  let url: string;
  let port: number;
  let token: string;

  beforeAll(async () => {
    const db = await migratedDatabase(pg);
    const { settings } = settingsFor(
      serverEnv({ db, redis, extra: { SERVER_WORKER_CONNECTIONS: String(CONNECTIONS), GUNICORN_TIMEOUT: '60' } }),
    );
    app = await createApp({ settings, requestTimeouts: { headersMs: 1000, requestMs: 4000 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as net.AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
    await fetch(`${url}/console/api/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const login = await fetch(`${url}/console/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    token = ((await login.json()) as { data: { access_token: string } }).data.access_token;
  });
  afterAll(async () => {
    await app?.close();
  });

  it(`with ${SLOW} slow bodies open against ${CONNECTIONS} slots, /health and authenticated requests still answer; the slow ones get 408 and are closed`, async () => {
    const slow = await Promise.all(
      Array.from({ length: SLOW }, (_, i) =>
        slowBody(port, i % 2 ? { path: '/console/api/login' } : { path: '/console/api/apps', token }),
      ),
    );
    try {
      const auth = { authorization: `Bearer ${token}` };
      const signal = () => AbortSignal.timeout(3000);
      const health = await fetch(`${url}/health`, { signal: signal() });
      expect(health.status).toBe(200);
      const list = await fetch(`${url}/console/api/apps`, { headers: auth, signal: signal() });
      expect(list.status).toBe(200);
      const created = await fetch(`${url}/console/api/apps`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'fast', mode: 'chat' }),
        signal: signal(),
      });
      expect(created.status).toBe(201);
      // More normal requests at once than there are slots: they queue behind each other, not behind the slow bodies.
      const burst = await Promise.all(
        Array.from({ length: CONNECTIONS * 3 }, () =>
          fetch(`${url}/console/api/apps`, { headers: auth, signal: signal() }),
        ),
      );
      expect(burst.map((r) => r.status)).toEqual(Array(CONNECTIONS * 3).fill(200));
      // The slow bodies were still open while all that was answered: they proved something.
      expect(slow.filter((c) => c.closed())).toHaveLength(0);

      await waitFor(async () => (slow.every((c) => c.closed()) ? true : undefined), {
        timeoutMs: 10_000,
        what: 'every slow body to be cut',
      });
      for (const client of slow) {
        expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
        expect(JSON.parse(client.received().slice(client.received().indexOf('\r\n\r\n') + 4))).toMatchObject({
          code: 'request_timeout',
          status: 408,
        });
      }
    } finally {
      for (const client of slow) client.destroy();
    }
  });

  it('answers 408 as JSON to headers that never finish', async () => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.on('error', () => {});
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const trickle = setInterval(() => socket.writable && socket.write('a'), 200);
    try {
      await closed;
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
    expect(data).toMatch(/^HTTP\/1\.1 408 /);
    expect(data).toContain('"code":"request_timeout"');
  });
});

/** Sends raw bytes and collects what comes back until the server closes the connection. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('error', () => {});
    socket.on('close', () => resolve(data));
    socket.write(bytes);
  });
}

describe('requests the HTTP parser refuses', () => {
  it('get Dify-style JSON errors (431 for oversize headers, 400 for garbage) and a closed connection', async () => {
    const db = await migratedDatabase(pg);
    const app = await createApp({ settings: settingsFor(serverEnv({ db, redis })).settings });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as net.AddressInfo;
      const big = await raw(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expect(big).toMatch(/^HTTP\/1\.1 431 /);
      expect(big).toContain('"code":"request_header_fields_too_large"');
      const garbage = await raw(port, 'NOT-HTTP\r\n\r\n');
      expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
      expect(garbage).toContain('"code":"bad_request"');
      expect(garbage).toMatch(/X-Version: /);
    } finally {
      await app.close();
    }
  });
});

describe('a request past GUNICORN_TIMEOUT', () => {
  it('gets a 504 JSON answer instead of a dropped connection', async () => {
    const db = await migratedDatabase(pg);
    const { settings } = settingsFor(serverEnv({ db, redis, extra: { GUNICORN_TIMEOUT: '1' } }));
    let finish = (): void => {};
    const never = new Promise<void>((resolve) => (finish = resolve));
    const app = await createApp({
      settings,
      serviceRoutes: [
        async (scope) => {
          scope.get('/test-hang', { config: { auth: 'none' } }, async () => {
            await never;
            return { late: true };
          });
        },
      ],
    });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as net.AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/v1/test-hang`, { signal: AbortSignal.timeout(10_000) });
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ code: 'gateway_timeout', status: 504 });
      expect(res.headers.get('x-version')).toBeTruthy();
    } finally {
      finish();
      await app.close();
    }
  });
});
