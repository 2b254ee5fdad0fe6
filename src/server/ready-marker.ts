import type { Logger } from './logger.js';
import type { KeyValueStore } from './store/types.js';

export const READY_KEY = 'api_service_status';
export const READY_TTL_SECONDS = 60;
export const READY_REFRESH_MS = 30_000;

/**
 * Keeps `api_service_status = ready` alive (TTL 60 s, refreshed every 30 s) while this api process
 * runs; `ps` and `doctor` read it. A failed refresh (db or redis away) is logged, never fatal.
 * @returns a function that stops refreshing
 */
export function startReadyMarker(options: { kv: KeyValueStore; logger: Logger; refreshMs?: number }): () => void {
  const mark = (): void => {
    options.kv.set(READY_KEY, 'ready', READY_TTL_SECONDS).catch((error: unknown) => {
      options.logger.warn({ err: String(error) }, 'could not refresh the ready marker');
    });
  };
  mark();
  const timer = setInterval(mark, options.refreshMs ?? READY_REFRESH_MS);
  timer.unref();
  return () => clearInterval(timer);
}
