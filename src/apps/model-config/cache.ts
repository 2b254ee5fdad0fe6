/**
 * The app configs a process remembers for its generations, so that a chat or completion request does
 * not read the app's config on every call.
 *
 * A config row never changes (each save writes a new one and repoints the app), so a remembered
 * config is right exactly while the app still points at it and is still in service. The generation
 * checks that in the statement that writes its message (`createRecords`' guard): when another process
 * saved a new config or deleted the app meanwhile, nothing is written, the entry is forgotten and the
 * generation starts over from the database (`StaleAppConfig`). A save in this process forgets the
 * entry at once.
 */
import type pg from 'pg';
import { loadAppConfig, type AppConfigRecord } from './store.js';

/** Entries per pool at most; the oldest goes first. */
const MAX_ENTRIES = 1000;
/** How long an entry is used before it is read again, even when it is still right. */
const TTL_MS = 60_000;

interface Entry {
  at: number;
  record: AppConfigRecord;
}

const caches = new WeakMap<pg.Pool, Map<string, Entry>>();

function cacheOf(pool: pg.Pool): Map<string, Entry> {
  let cache = caches.get(pool);
  if (!cache) {
    cache = new Map();
    caches.set(pool, cache);
  }
  return cache;
}

/** The app's current config: remembered, or read (and remembered) when unknown, expired or `fresh`. */
export async function appConfigForGeneration(
  pool: pg.Pool,
  appId: string,
  options: { fresh?: boolean } = {},
): Promise<AppConfigRecord | undefined> {
  const cache = cacheOf(pool);
  const hit = cache.get(appId);
  if (hit && !options.fresh && performance.now() - hit.at < TTL_MS) return hit.record;
  const record = await loadAppConfig(pool, appId);
  cache.delete(appId);
  if (record?.configId) {
    cache.set(appId, { at: performance.now(), record });
    if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string); // oldest; size checked
  }
  return record;
}

/** Forgets the app's remembered config (saved anew, deleted, or found stale). */
export function forgetAppConfig(pool: pg.Pool, appId: string): void {
  caches.get(pool)?.delete(appId);
}

/** The remembered config was no longer the app's when the message was written: start over. */
export class StaleAppConfig extends Error {
  constructor(readonly appId: string) {
    super(`the config of app ${appId} changed during the generation`);
  }
}
