import type { Settings } from './schema.js';

/** The number of api processes: SERVER_WORKER_AMOUNT, where 0 means one per core (gunicorn's `-w` in Dify's entrypoint). */
export function workerCount(settings: Pick<Settings, 'SERVER_WORKER_AMOUNT'>, cores: number): number {
  return settings.SERVER_WORKER_AMOUNT === 0 ? Math.max(1, cores) : settings.SERVER_WORKER_AMOUNT;
}

/**
 * How long a stop lets running requests and tasks finish before it kills: GUNICORN_TIMEOUT, at most
 * 30 s (gunicorn's graceful_timeout). The api primary, an api process and the worker all use it.
 */
export function stopGraceSeconds(settings: Pick<Settings, 'GUNICORN_TIMEOUT'>): number {
  return Math.min(settings.GUNICORN_TIMEOUT, 30);
}

export function stopGraceMs(settings: Pick<Settings, 'GUNICORN_TIMEOUT'>): number {
  return stopGraceSeconds(settings) * 1000;
}
