import { describe, expect, it } from 'vitest';
import { createPromiseCache } from '../../src/cache/promise-cache.js';

describe('promise cache (session check, app key lookups, app list pages, model credentials)', () => {
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

  it('forgets only the keys that match, a load under way included', async () => {
    let loads = 0;
    const cache = createPromiseCache<number>({ ttlMs: 60_000, max: 10 });
    const load = async () => ++loads;
    await cache.get('t1\u0000a', load);
    await cache.get('t2\u0000a', load);
    let finish: (n: number) => void = () => {};
    const pending = cache.get('t1\u0000b', () => new Promise<number>((resolve) => (finish = resolve)));
    cache.forget((key) => key.startsWith('t1\u0000'));
    finish(100);
    expect(await pending).toBe(100); // its own caller still gets the answer
    expect(await cache.get('t1\u0000b', load)).toBe(3);
    expect(await cache.get('t1\u0000a', load)).toBe(4);
    expect(await cache.get('t2\u0000a', load)).toBe(2);
  });
});
