/** A per-process cache of answers (promises) by key, each reused for a time. */
export interface PromiseCache<T> {
  /** The answer for `key`: the one cached within the time-to-live, or `load()`'s (then cached). */
  get(key: string, load: () => Promise<T>): Promise<T>;
  /** Forgets every cached answer. */
  clear(): void;
  /** Forgets the answers whose key `match`es (a load under way included: the next ask loads again). */
  forget(match: (key: string) => boolean): void;
}

/**
 * Answers, positive and negative, are kept for `ttlMs`; concurrent asks of one key share one load; a
 * failed load (database away) is not remembered, so the next ask tries again; at most `max` keys
 * (oldest dropped first).
 */
export function createPromiseCache<T>(options: { ttlMs: number; max: number; now?: () => number }): PromiseCache<T> {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; answer: Promise<T> }>();
  return {
    get(key, load) {
      const hit = cache.get(key);
      if (hit && now() - hit.at < options.ttlMs) return hit.answer;
      const answer = load();
      cache.delete(key);
      cache.set(key, { at: now(), answer });
      answer.catch(() => {
        if (cache.get(key)?.answer === answer) cache.delete(key);
      });
      if (cache.size > options.max) cache.delete(cache.keys().next().value!);
      return answer;
    },
    clear: () => cache.clear(),
    forget(match) {
      for (const key of cache.keys()) if (match(key)) cache.delete(key);
    },
  };
}
