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

  it('answers 507 insufficient_storage to a full disk, 504 to a cancelled statement, 503 to a stalled dependency', async () => {
    const app = Fastify();
    registerErrorHandlers(app, { logger: silentLogger() });
    const { writeFile } = await import('node:fs/promises');
    // A real ENOSPC: /dev/full refuses every write with it.
    app.get('/file-full', async () => writeFile('/dev/full', 'x'));
    app.get('/redis-misconf', async () => {
      throw new Error(
        'MISCONF Redis is configured to save RDB snapshots, but it is currently unable to persist to disk.',
      );
    });
    app.get('/statement-timeout', async () => {
      throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    });
    app.get('/pg-stalled', async () => {
      throw new Error('Query read timeout');
    });
    app.get('/redis-stalled', async () => {
      throw new Error('Command timed out');
    });
    const full = await app.inject('/file-full');
    expect(full.statusCode).toBe(507);
    expect(full.json()).toMatchObject({ code: 'insufficient_storage', status: 507 });
    expect((await app.inject('/redis-misconf')).json()).toMatchObject({ code: 'insufficient_storage', status: 507 });
    expect((await app.inject('/statement-timeout')).json()).toMatchObject({ code: 'gateway_timeout', status: 504 });
    expect((await app.inject('/pg-stalled')).json()).toMatchObject({ code: 'service_unavailable', status: 503 });
    expect((await app.inject('/redis-stalled')).json()).toMatchObject({ code: 'service_unavailable', status: 503 });
  });

  it('answers 400 to a value the database refused, without its message, and 503 while Redis reconnects', async () => {
    const app = Fastify();
    registerErrorHandlers(app, { logger: silentLogger() });
    app.get('/bad-value', async () => {
      throw Object.assign(new Error('invalid input syntax for type integer: "s3cret-value"'), { code: '22P02' });
    });
    app.get('/redis-away', async () => {
      throw Object.assign(new Error('Reached the max retries per request limit (which is 1).'), {
        name: 'MaxRetriesPerRequestError',
      });
    });
    const bad = await app.inject('/bad-value');
    expect(bad.json()).toEqual({
      code: 'invalid_param',
      message: 'A value in the request cannot be stored.',
      status: 400,
    });
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

describe('concurrency limit and /health', () => {
  it('never queues /health behind requests that hold every slot', async () => {
    const app = Fastify();
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
    app.get('/health', async () => ({ status: 'healthy' }));
    const holding = app.inject('/hold');
    await holderArrived;
    const health = await app.inject('/health');
    expect(health.statusCode).toBe(200);
    release();
    expect((await holding).statusCode).toBe(200);
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
      const aborted = Array.from({ length: 3 }, () =>
        fetch(`${url}/quick`, { signal: AbortSignal.timeout(100) }).catch(() => 'aborted'),
      );
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

describe('trustedProxy', () => {
  it('believes no X-Forwarded-For by default, from loopback and private addresses included', async () => {
    const { trustedProxy } = await import('../../src/server/trust-proxy.js');
    const off = trustedProxy({ enabled: false, allowIps: '*' });
    for (const peer of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.1.2.3', '192.168.1.1', '203.0.113.9'])
      expect(off(peer, 0), peer).toBe(false);
  });

  it('when enabled, believes one hop from FORWARDED_ALLOW_IPS only (gunicorn default: loopback)', async () => {
    const { trustedProxy } = await import('../../src/server/trust-proxy.js');
    const loopback = trustedProxy({ enabled: true });
    for (const peer of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) expect(loopback(peer, 0), peer).toBe(true);
    for (const peer of ['127.0.0.2', '10.1.2.3', '172.20.0.5', 'fd00::5', '203.0.113.9', 'not-an-address'])
      expect(loopback(peer, 0), peer).toBe(false);
    expect(loopback('127.0.0.1', 1)).toBe(false);
    const lan = trustedProxy({ enabled: true, allowIps: ' 172.16.0.0/12, fd00::/8 ,192.168.1.7' });
    for (const peer of ['172.20.0.5', '::ffff:172.18.0.2', 'fd00::5', '192.168.1.7'])
      expect(lan(peer, 0), peer).toBe(true);
    for (const peer of ['127.0.0.1', '192.168.1.8', '10.0.0.1']) expect(lan(peer, 0), peer).toBe(false);
    const any = trustedProxy({ enabled: true, allowIps: '*' });
    expect(any('203.0.113.9', 0)).toBe(true);
    expect(any('203.0.113.9', 1)).toBe(false);
  });

  it('names the entries of FORWARDED_ALLOW_IPS that are not addresses or CIDR blocks', async () => {
    const { invalidProxyEntries } = await import('../../src/server/trust-proxy.js');
    expect(invalidProxyEntries('127.0.0.1,::1, 10.0.0.0/8, *, fd00::/8')).toEqual([]);
    expect(invalidProxyEntries('127.0.0.1, nginx, 10.0.0.0/33, 10.0.0.0/8/1, ::1/129')).toEqual([
      'nginx',
      '10.0.0.0/33',
      '10.0.0.0/8/1',
      '::1/129',
    ]);
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
