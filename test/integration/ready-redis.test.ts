import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStrategy } from '../../src/stack/ready/redis.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

// The Redis readiness probe speaks RESP itself (AUTH, SELECT, PING in one round trip) instead of
// loading a client library on every `up` / `ps` (issue 13, speed): same answers as before.
describe('redis readiness probe against a real redis-server', () => {
  let withPassword: TestRedis;
  let open: TestRedis;
  beforeAll(async () => {
    [withPassword, open] = await Promise.all([startRedis({ password: 'pw-secret-1' }), startRedis({ password: '' })]);
  });
  afterAll(async () => {
    await Promise.all([withPassword?.stop(), open?.stop()]);
  });
  const check = (conn: Partial<Parameters<typeof redisStrategy>[0]> & { port: number }) =>
    redisStrategy({ host: '127.0.0.1', db: 0, ...conn }).check({ timeoutMs: 2000 });

  it('is ready with the right password, on the configured db', async () => {
    expect(await check({ port: withPassword.port, password: withPassword.password })).toEqual({ ok: true });
    expect(await check({ port: withPassword.port, password: withPassword.password, db: 3 })).toEqual({ ok: true });
    expect(await check({ port: open.port })).toEqual({ ok: true });
  });

  it('a wrong or missing password, or one the server does not have, is fatal with the variable to fix', async () => {
    for (const [conn, hint] of [
      [{ port: withPassword.port, password: 'wrong' }, 'REDIS_PASSWORD'],
      [{ port: withPassword.port }, 'REDIS_PASSWORD'],
      [{ port: open.port, password: 'extra' }, 'clear REDIS_PASSWORD'],
    ] as const) {
      const probe = await check(conn);
      expect(probe.ok).toBe(false);
      const fatal = probe.ok ? undefined : probe.fatal;
      expect(fatal?.code).toBe('REDIS.AUTH_FAILED');
      expect(fatal?.hint).toContain(hint);
    }
  });

  it('a db the server does not have, and nothing listening, are waited on, not fatal', async () => {
    const badDb = await check({ port: open.port, db: 99 });
    expect(badDb).toMatchObject({ ok: false, reason: expect.stringContaining('DB index is out of range') });
    const closed = await check({ port: await getPort({ host: '127.0.0.1' }) });
    expect(closed).toMatchObject({ ok: false, reason: expect.stringContaining('connection refused') });
    expect(closed.ok === false && closed.fatal).toBeFalsy();
  });
});
