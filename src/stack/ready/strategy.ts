import type { DifyctlError } from '../../errors/index.js';

/** One attempt's outcome. `fatal` ends the wait at once (wrong password, unknown host…). */
export type Probe = { ok: true } | { ok: false; reason: string; fatal?: DifyctlError };

export interface ProbeOptions {
  /** Bound for this one attempt. */
  timeoutMs: number;
}

/** A way to tell that a dependency serves (testcontainers' wait strategies). */
export interface ReadinessStrategy {
  readonly name: string;
  check(options: ProbeOptions): Promise<Probe>;
}

export const notReady = (reason: string): Probe => ({ ok: false, reason });

/** The message of anything thrown, for a probe's reason. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code; // system errors carry a code
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
