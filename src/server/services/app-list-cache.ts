import type { ChangeFeed } from '../store/change-feed.js';
import { createPromiseCache } from '../../cache/promise-cache.js';

/**
 * How long a process reuses a workspace's app list page. @default 3000 ms, like the session check and
 * the app key cache — but a write to `apps` anywhere drops the workspace's pages at once through the
 * change feed (migration 0009), so the time-to-live only bounds a notification that never came.
 */
export const APP_LIST_TTL_MS = 3000;
/** Pages kept at most (oldest dropped first). */
const MAX_ENTRIES = 10_000;

/** The serialized app list pages of each workspace, per process (the console's hot read). */
export interface AppListCache {
  /** The page `key` of `tenantId`'s list: cached JSON, or `load()`'s (then cached). */
  page(tenantId: string, key: string, load: () => Promise<string>): Promise<string>;
  /** Drops what is cached for a workspace (`'*'`: for all), e.g. right after a write in this process. */
  forget(tenantId: string): void;
}

/**
 * Pages are served from memory only while `feed` is live, within `ttlMs`, and if no change of the
 * workspace was heard since their query began: a page is kept under its workspace's generation, which
 * every change moves on, so a load that raced a write (its snapshot older than the notification) is
 * answered to its own request but never found by the next one.
 */
export function createAppListCache(options: {
  feed: Pick<ChangeFeed, 'live' | 'on'>;
  ttlMs?: number;
  now?: () => number;
}): AppListCache {
  const { feed } = options;
  const pages = createPromiseCache<string>({
    ttlMs: options.ttlMs ?? APP_LIST_TTL_MS,
    max: MAX_ENTRIES,
    now: options.now,
  });
  const generations = new Map<string, number>();
  const forget = (tenantId: string): void => {
    if (tenantId === '*') {
      generations.clear();
      pages.clear();
    } else generations.set(tenantId, (generations.get(tenantId) ?? 0) + 1);
  };
  feed.on('apps', forget);
  return {
    forget,
    page: (tenantId, key, load) =>
      feed.live ? pages.get(`${tenantId}\n${generations.get(tenantId) ?? 0}\n${key}`, load) : load(),
  };
}
