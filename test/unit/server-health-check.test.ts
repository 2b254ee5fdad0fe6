import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createHealthCheck } from '../../src/server/health-check.js';

/** A stand-in pool: the health check only calls query('SELECT 1'). */
function fakePool(behaviour: () => Promise<unknown>) {
  let calls = 0;
  const pool = {
    query: () => {
      calls += 1;
      return behaviour();
    },
  } as unknown as pg.Pool;
  return { pool, calls: () => calls };
}

describe('createHealthCheck', () => {
  it('reuses one result for up to cacheMs, then checks again', async () => {
    let now = 1000;
    const { pool, calls } = fakePool(async () => ({ rows: [] }));
    const check = createHealthCheck({ pool, now: () => now, cacheMs: 1000 });
    expect(await check()).toEqual({ status: 'healthy', db: 'ok', redis: 'fallback' });
    now += 999;
    await check();
    expect(calls()).toBe(1);
    now += 1;
    await check();
    expect(calls()).toBe(2);
  });

  it('reports unhealthy when the database fails or does not answer within the timeout', async () => {
    const failing = createHealthCheck({ pool: fakePool(() => Promise.reject(new Error('down'))).pool });
    expect(await failing()).toMatchObject({ status: 'unhealthy', db: 'error' });
    const hanging = createHealthCheck({ pool: fakePool(() => new Promise(() => {})).pool, timeoutMs: 20 });
    expect(await hanging()).toMatchObject({ status: 'unhealthy', db: 'error' });
  });

  it('is unhealthy when a configured Redis does not answer', async () => {
    const check = createHealthCheck({
      pool: fakePool(async () => ({})).pool,
      pingRedis: () => Promise.reject(new Error('no')),
    });
    expect(await check()).toEqual({ status: 'unhealthy', db: 'ok', redis: 'error' });
  });
});
