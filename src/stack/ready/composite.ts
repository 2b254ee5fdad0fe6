import type { Probe, ReadinessStrategy } from './strategy.js';

/**
 * All strategies in order, each attempt stops at the first one not ready (a TCP check before a
 * login, a container's health before both).
 */
export function allOf(strategies: ReadinessStrategy[]): ReadinessStrategy {
  return {
    name: strategies.map((s) => s.name).join(' + '),
    async check(options): Promise<Probe> {
      for (const strategy of strategies) {
        const probe = await strategy.check(options);
        if (!probe.ok) return probe;
      }
      return { ok: true };
    },
  };
}
