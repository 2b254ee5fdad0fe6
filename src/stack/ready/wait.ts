import { interruptedError } from '../../errors/index.js';
import { systemClock, type Clock } from '../../supervision/clock.js';
import type { DependencyName } from '../types.js';
import type { ReadinessStrategy } from './strategy.js';
import { stackNotReady } from '../errors.js';

/** @default 250 — the issue's bound on the poll interval. */
export const POLL_MS = 250;
/** One attempt never takes longer than this (or what is left of the timeout). */
const ATTEMPT_MS = 3000;
const DOCTOR_CHECK: Record<DependencyName, string> = { db: 'db.connect', redis: 'redis' };

export interface WaitOptions {
  /** db, redis, or a service (api, worker): named in the timeout message. */
  dependency: DependencyName | string;
  /** Shown in the message: "db (docker, 127.0.0.1:5432)". */
  label: string;
  strategy: ReadinessStrategy;
  timeoutMs: number;
  /** The timeout the user gave, when timeoutMs is what is left of it. @default timeoutMs */
  totalTimeoutMs?: number;
  clock?: Clock;
  /** @default POLL_MS */
  pollMs?: number;
  /** The dependency's recent log lines, for the timeout message. */
  logTail?: () => Promise<string[]>;
  onWaiting?: (reason: string) => void;
  /** Ctrl-C: stop polling (the caller reports the interruption). */
  signal?: AbortSignal;
  /** What the timeout message suggests. @default the doctor check of the dependency */
  hint?: string;
}

/**
 * Polls the strategy until it is ready, a probe is fatal, or the timeout passes (STACK.NOT_READY,
 * exit 3, with the last reason and the log tail).
 */
export async function waitUntilReady(options: WaitOptions): Promise<void> {
  const clock = options.clock ?? systemClock;
  const pollMs = Math.min(options.pollMs ?? POLL_MS, POLL_MS);
  const deadline = clock.now() + options.timeoutMs;
  let lastReason = 'not checked yet';
  for (;;) {
    if (options.signal?.aborted) throw interruptedError(`interrupted while waiting for ${options.label}`);
    const left = deadline - clock.now();
    const probe = await options.strategy.check({ timeoutMs: Math.max(100, Math.min(ATTEMPT_MS, left)) });
    if (probe.ok) return;
    if (probe.fatal) throw probe.fatal;
    if (probe.reason !== lastReason) options.onWaiting?.(probe.reason);
    lastReason = probe.reason;
    const remaining = deadline - clock.now();
    if (remaining <= 0) break;
    await clock.sleep(Math.min(pollMs, remaining));
  }
  const tail = (await options.logTail?.().catch(() => [] as string[])) ?? [];
  const seconds = Math.round((options.totalTimeoutMs ?? options.timeoutMs) / 100) / 10;
  throw stackNotReady(`${options.label} did not become ready within ${seconds} s: ${lastReason}`, {
    why: tail.length
      ? `last ${tail.length} log lines of ${options.dependency}:\n${tail.map((l) => `    ${l}`).join('\n')}`
      : `no log lines from ${options.dependency}`,
    hint:
      options.hint ??
      `Run \`difyctl doctor --only ${DOCTOR_CHECK[options.dependency as DependencyName] ?? 'api.health'}\`; on a slow machine raise --timeout.`,
    details: { dependency: options.dependency, lastReason, logTail: tail },
  });
}
