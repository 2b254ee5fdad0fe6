import { notReady, reasonOf, type Probe, type ReadinessStrategy } from './strategy.js';

export interface HttpTarget {
  url: string;
  /** @default 200 */
  status?: number;
}

/** Ready when GET url answers with the expected status (the server's /health, later). */
export function httpStrategy(target: HttpTarget): ReadinessStrategy {
  const expected = target.status ?? 200;
  return {
    name: `http ${target.url}`,
    async check({ timeoutMs }): Promise<Probe> {
      try {
        const response = await fetch(target.url, { signal: AbortSignal.timeout(timeoutMs) });
        await response.body?.cancel();
        return response.status === expected ? { ok: true } : notReady(`GET ${target.url} answered ${response.status}`);
      } catch (error) {
        return notReady(`GET ${target.url}: ${reasonOf(error)}`);
      }
    },
  };
}
