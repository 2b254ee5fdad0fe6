import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerConcurrencyLimit } from '../../src/server/hooks/concurrency.js';
import { registerErrorHandlers } from '../../src/server/hooks/error-handler.js';
import { HttpError } from '../../src/server/http-error.js';
import { silentLogger } from '../../src/server/logger.js';

describe('error handler', () => {
  it('answers Dify-style JSON and never leaks the message of an unexpected error', async () => {
    const app = Fastify();
    registerErrorHandlers(app, { logger: silentLogger() });
    app.get('/known', async () => {
      throw new HttpError(429, 'too_many_requests', 'slow down', { 'Retry-After': '7' });
    });
    app.get('/bug', async () => {
      throw new Error('secret internals');
    });
    app.get('/db-down', async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    });
    app.get('/no-schema', async () => {
      throw Object.assign(new Error('relation "apps" does not exist'), { code: '42P01' });
    });
    const known = await app.inject('/known');
    expect(known.statusCode).toBe(429);
    expect(known.headers['retry-after']).toBe('7');
    expect(known.json()).toEqual({ code: 'too_many_requests', message: 'slow down', status: 429 });
    const bug = await app.inject('/bug');
    expect(bug.statusCode).toBe(500);
    expect(bug.body).not.toContain('secret internals');
    expect(bug.json()).toMatchObject({ code: 'internal_server_error', status: 500 });
    expect((await app.inject('/no-schema')).json()).toMatchObject({ code: 'schema_not_migrated', status: 503 });
    const down = await app.inject('/db-down');
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ code: 'service_unavailable', status: 503 });
    expect((await app.inject('/missing')).json()).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('answers 400 to a value the database refused, without its message, and 503 while Redis reconnects', async () => {
    const app = Fastify();
    registerErrorHandlers(app, { logger: silentLogger() });
    app.get('/bad-value', async () => {
      throw Object.assign(new Error('invalid input syntax for type integer: "s3cret-value"'), { code: '22P02' });
    });
    app.get('/redis-away', async () => {
      throw Object.assign(new Error('Reached the max retries per request limit (which is 1).'), { name: 'MaxRetriesPerRequestError' });
    });
    const bad = await app.inject('/bad-value');
    expect(bad.json()).toEqual({ code: 'invalid_param', message: 'A value in the request cannot be stored.', status: 400 });
    expect((await app.inject('/redis-away')).json()).toMatchObject({ code: 'service_unavailable', status: 503 });
  });
});

describe('concurrency limit', () => {
  it('queues requests beyond the limit and serves them in arrival order', async () => {
    const app = Fastify();
    registerConcurrencyLimit(app, 1);
    let inFlight = 0;
    let peak = 0;
    app.get('/work', async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight -= 1;
      return { ok: true };
    });
    const results = await Promise.all(Array.from({ length: 5 }, () => app.inject('/work')));
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(peak).toBe(1);
  });
});

describe('concurrency limit with clients that hang up', () => {
  it('does not lose slots to requests aborted while waiting', async () => {
    const app = Fastify({ forceCloseConnections: true });
    registerConcurrencyLimit(app, 1);
    let held = (): void => {};
    const holderArrived = new Promise<void>((r) => (held = r));
    let release = (): void => {};
    const gate = new Promise<void>((r) => (release = r));
    app.get('/hold', async () => {
      held();
      await gate;
      return { ok: true };
    });
    app.get('/quick', async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const holding = fetch(`${url}/hold`);
      await holderArrived;
      const aborted = Array.from({ length: 3 }, () => fetch(`${url}/quick`, { signal: AbortSignal.timeout(100) }).catch(() => 'aborted'));
      expect(await Promise.all(aborted)).toEqual(['aborted', 'aborted', 'aborted']);
      release();
      expect((await holding).status).toBe(200);
      const after = await Promise.all([fetch(`${url}/quick`), fetch(`${url}/quick`)]);
      expect(after.map((r) => r.status)).toEqual([200, 200]);
    } finally {
      await app.close();
    }
  });
});

describe('trustLocalProxy', () => {
  it('believes X-Forwarded-For for one hop, from a loopback or private address only', async () => {
    const { trustLocalProxy } = await import('../../src/server/trust-proxy.js');
    for (const local of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.1.2.3', '172.20.0.5', '192.168.1.1', 'fd00::5', '::ffff:172.18.0.2']) expect(trustLocalProxy(local, 0), local).toBe(true);
    for (const remote of ['203.0.113.9', '8.8.8.8', '2001:db8::1', '::ffff:8.8.8.8', 'not-an-address']) expect(trustLocalProxy(remote, 0), remote).toBe(false);
    expect(trustLocalProxy('10.1.2.3', 1)).toBe(false);
  });
});

describe('addressKey', () => {
  it('keys IPv4 by address and IPv6 by its /64, so rotating within a subscriber block does not help', async () => {
    const { addressKey } = await import('../../src/server/hooks/rate-limit.js');
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
