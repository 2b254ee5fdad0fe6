import { describe, expect, it } from 'vitest';
import { createPromiseCache } from '../../src/server/services/promise-cache.js';

describe('promise cache (session check, app key lookups)', () => {
  it('shares one load between concurrent asks and reuses the answer within the time-to-live', async () => {
    let clock = 0;
    let loads = 0;
    const cache = createPromiseCache<number>({ ttlMs: 100, max: 10, now: () => clock });
    const load = async () => ++loads;
    expect(await Promise.all([cache.get('a', load), cache.get('a', load)])).toEqual([1, 1]);
    clock = 99;
    expect(await cache.get('a', load)).toBe(1);
    clock = 100;
    expect(await cache.get('a', load)).toBe(2);
    cache.clear();
    expect(await cache.get('a', load)).toBe(3);
  });

  it('does not remember a failed load, and keeps at most `max` keys', async () => {
    let loads = 0;
    const cache = createPromiseCache<number>({ ttlMs: 60_000, max: 2 });
    await expect(cache.get('a', async () => Promise.reject(new Error('database away')))).rejects.toThrow();
    expect(await cache.get('a', async () => ++loads)).toBe(1);
    await cache.get('b', async () => ++loads);
    await cache.get('c', async () => ++loads);
    expect(await cache.get('a', async () => ++loads)).toBe(4); // the oldest key was dropped
  });
});
