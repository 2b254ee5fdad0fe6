import { describe, expect, it } from 'vitest';
import { DifyctlError } from '../../src/errors/index.js';
import type { Clock } from '../../src/supervision/clock.js';
import { allOf } from '../../src/stack/ready/composite.js';
import type { Probe, ReadinessStrategy } from '../../src/stack/ready/strategy.js';
import { POLL_MS, waitUntilReady } from '../../src/stack/ready/wait.js';

/** A clock that only moves when slept on. */
function fakeClock(): Clock & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

function scripted(probes: Probe[]): ReadinessStrategy & { calls: number } {
  const s = {
    name: 'scripted',
    calls: 0,
    check: async () => probes[Math.min(s.calls++, probes.length - 1)] ?? { ok: true as const },
  };
  return s;
}

describe('waitUntilReady', () => {
  it('polls at most every 250 ms until the strategy is ready', async () => {
    const clock = fakeClock();
    const strategy = scripted([{ ok: false, reason: 'refused' }, { ok: false, reason: 'refused' }, { ok: true }]);
    await waitUntilReady({ dependency: 'db', label: 'db', strategy, timeoutMs: 10_000, clock, pollMs: 1000 });
    expect(strategy.calls).toBe(3);
    expect(clock.sleeps.every((ms) => ms <= POLL_MS)).toBe(true);
  });

  it('stops polling at once when interrupted (Ctrl-C), not at the timeout', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    const strategy = scripted([{ ok: false, reason: 'refused' }]);
    const waiting = waitUntilReady({
      dependency: 'db',
      label: 'db (external, 127.0.0.1:1)',
      strategy,
      timeoutMs: 120_000,
      clock,
      signal: controller.signal,
      onWaiting: () => controller.abort(),
    });
    await expect(waiting).rejects.toMatchObject({ code: 'CLI.INTERRUPTED' });
    expect(strategy.calls).toBe(1);
  });

  it('times out with STACK.NOT_READY (exit 3), the last reason, the log tail and the doctor check', async () => {
    const clock = fakeClock();
    const error = await waitUntilReady({
      dependency: 'redis',
      label: 'redis (docker, 127.0.0.1:1)',
      strategy: scripted([{ ok: false, reason: 'healthcheck starting' }]),
      timeoutMs: 2000,
      clock,
      logTail: async () => ['line one', 'line two'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DifyctlError);
    const e = error as DifyctlError;
    expect(e.code).toBe('STACK.NOT_READY');
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain('redis (docker, 127.0.0.1:1) did not become ready within 2 s: healthcheck starting');
    expect(e.why).toContain('line two');
    expect(e.hint).toContain('difyctl doctor --only redis');
    expect(clock.now()).toBe(2000);
  });

  it('stops at once on a fatal probe', async () => {
    const fatal = new DifyctlError('DB.AUTH_FAILED', 'no');
    const strategy = scripted([{ ok: false, reason: 'auth', fatal }]);
    await expect(
      waitUntilReady({ dependency: 'db', label: 'db', strategy, timeoutMs: 10_000, clock: fakeClock() }),
    ).rejects.toBe(fatal);
    expect(strategy.calls).toBe(1);
  });

  it('allOf stops at the first strategy that is not ready', async () => {
    const second = scripted([{ ok: true }]);
    const probe = await allOf([scripted([{ ok: false, reason: 'first' }]), second]).check({ timeoutMs: 10 });
    expect(probe).toEqual({ ok: false, reason: 'first' });
    expect(second.calls).toBe(0);
  });
});
