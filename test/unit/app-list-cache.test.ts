import { describe, expect, it } from 'vitest';
import { createAppListCache } from '../../src/server/services/app-list-cache.js';
import type { ChangeListener } from '../../src/server/store/change-feed.js';

/** A feed whose liveness and notifications the test drives (the real one is tested on PostgreSQL). */
function feed() {
  const listeners: ChangeListener[] = [];
  return {
    live: true,
    on: (_topic: string, listener: ChangeListener) => {
      listeners.push(listener);
      return () => {};
    },
    notify: (key: string) => {
      for (const l of listeners) l(key);
    },
  };
}

function counter(prefix = 'v') {
  let n = 0;
  return { load: async () => `${prefix}${++n}`, calls: () => n };
}

describe('app list cache', () => {
  it('serves a page from memory until its workspace changes', async () => {
    const f = feed();
    const cache = createAppListCache({ feed: f, ttlMs: 60_000 });
    const c = counter();
    expect(await cache.page('t1', 'p1', c.load)).toBe('v1');
    expect(await cache.page('t1', 'p1', c.load)).toBe('v1');
    expect(await cache.page('t2', 'p1', c.load)).toBe('v2');
    f.notify('t1');
    expect(await cache.page('t1', 'p1', c.load)).toBe('v3');
    expect(await cache.page('t2', 'p1', c.load)).toBe('v2');
    f.notify('*');
    expect(await cache.page('t2', 'p1', c.load)).toBe('v4');
  });

  it('does not keep a page whose query raced a change', async () => {
    const f = feed();
    const cache = createAppListCache({ feed: f, ttlMs: 60_000 });
    let release!: (v: string) => void;
    const slow = cache.page('t1', 'p1', () => new Promise<string>((r) => (release = r)));
    f.notify('t1'); // the write committed while the query was on its way
    release('before the write');
    expect(await slow).toBe('before the write');
    expect(await cache.page('t1', 'p1', async () => 'after the write')).toBe('after the write');
  });

  it('reads through while the feed is not live, and after the time-to-live', async () => {
    const f = feed();
    let clock = 0;
    const cache = createAppListCache({ feed: f, ttlMs: 1000, now: () => clock });
    const c = counter();
    f.live = false;
    await cache.page('t1', 'p1', c.load);
    await cache.page('t1', 'p1', c.load);
    expect(c.calls()).toBe(2);
    f.live = true;
    await cache.page('t1', 'p1', c.load);
    clock = 999;
    await cache.page('t1', 'p1', c.load);
    expect(c.calls()).toBe(3);
    clock = 1000;
    await cache.page('t1', 'p1', c.load);
    expect(c.calls()).toBe(4);
  });

  it('forgets a failed load', async () => {
    const cache = createAppListCache({ feed: feed(), ttlMs: 60_000 });
    await expect(cache.page('t1', 'p1', async () => Promise.reject(new Error('database away')))).rejects.toThrow();
    expect(await cache.page('t1', 'p1', async () => 'back')).toBe('back');
  });
});
