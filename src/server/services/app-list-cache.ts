import type { ChangeFeed } from '../store/change-feed.js';

/**
 * How long a process reuses a workspace's app list page. @default 3000 ms, like the session check and
 * the app key cache — but a write to `apps` anywhere drops the workspace's pages at once through the
 * change feed (migration 0009), so the time-to-live only bounds a notification that never came.
 */
export const APP_LIST_TTL_MS = 3000;
/** Pages kept at most (oldest dropped first). */
const MAX_ENTRIES = 10_000;

interface Entry {
  at: number;
  generation: number;
  body: Promise<string>;
}

/** The serialized app list pages of each workspace, per process (the console's hot read). */
export interface AppListCache {
  /** The page `key` of `tenantId`'s list: cached JSON, or `load()`'s (then cached). */
  page(tenantId: string, key: string, load: () => Promise<string>): Promise<string>;
  /** Drops what is cached for a workspace (`'*'`: for all), e.g. right after a write in this process. */
  forget(tenantId: string): void;
}

/**
 * Pages are served from memory only while `feed` is live, within `ttlMs`, and if no change of the
 * workspace was heard since their query began: a load that raced a write (its snapshot older than
 * the notification) is answered to its own request but not kept for the next one.
 */
export function createAppListCache(options: {
  feed: Pick<ChangeFeed, 'live' | 'on'>;
  ttlMs?: number;
  now?: () => number;
}): AppListCache {
  const { feed } = options;
  const ttlMs = options.ttlMs ?? APP_LIST_TTL_MS;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const generations = new Map<string, number>();
  let everything = 0;
  const generationOf = (tenantId: string): number => everything + (generations.get(tenantId) ?? 0);

  const forget = (tenantId: string): void => {
    if (tenantId === '*') {
      everything++;
      entries.clear();
    } else generations.set(tenantId, (generations.get(tenantId) ?? 0) + 1);
  };
  feed.on('apps', forget);

  return {
    forget,
    page(tenantId, key, load) {
      if (!feed.live) return load();
      const id = `${tenantId}\n${key}`;
      const generation = generationOf(tenantId);
      const hit = entries.get(id);
      if (hit && hit.generation === generation && now() - hit.at < ttlMs) return hit.body;
      const body = load();
      entries.delete(id);
      entries.set(id, { at: now(), generation, body });
      // A failed load (database away) is not remembered: the next request asks again.
      body.catch(() => {
        if (entries.get(id)?.body === body) entries.delete(id);
      });
      if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
      return body;
    },
  };
}
