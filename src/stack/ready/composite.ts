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

/**
 * All strategies at once, each attempt as long as the slowest (not their sum): for checks that are
 * independent, such as a container's state and a login through its published port. A fatal probe
 * wins; else the first one not ready, in order.
 */
export function allAtOnce(strategies: ReadinessStrategy[]): ReadinessStrategy {
  return {
    name: strategies.map((s) => s.name).join(' + '),
    async check(options): Promise<Probe> {
      const probes = await Promise.all(strategies.map((s) => s.check(options)));
      return probes.find((p) => !p.ok && p.fatal) ?? probes.find((p) => !p.ok) ?? { ok: true };
    },
  };
}
