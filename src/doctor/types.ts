import type { ResolvedConfig } from '../config/resolve.js';
import type { RuntimeConnector } from '../stack/providers/docker/runtime.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  status: CheckStatus;
  /** One line: what the check found. */
  finding: string;
  /** For warn/fail: the variable to change or the command to run. */
  fix?: string;
  /** For fail: the error code `up`, `migrate` and `serve` raise for the same fault (DB.AUTH_FAILED…). */
  code?: string;
  /** More lines for --verbose (log tails, measurements). Never secrets. */
  details?: string[];
}

export interface DoctorContext {
  config: ResolvedConfig;
  env: NodeJS.ProcessEnv;
  /** Aborted when the check's time budget runs out. */
  signal: AbortSignal;
  /** Results of the checks this one depends on, by id. */
  dependencies: Record<string, CheckResult>;
  /** Reaches the container engine (a fake in unit tests); undefined when none answers. */
  connect: RuntimeConnector;
}

/** One documented troubleshooting step (SPEC §6). */
export interface Check {
  id: string;
  title: string;
  /** Checks whose failure makes this one meaningless: it is skipped, saying why. */
  dependsOn?: string[];
  /** Whether the check applies at all to this project (e.g. docker only with a compose file). */
  applies?: (config: ResolvedConfig) => boolean;
  run: (ctx: DoctorContext) => Promise<CheckResult>;
}

export interface CheckReport extends CheckResult {
  id: string;
  title: string;
  duration_ms: number;
}

export interface DoctorReport {
  checks: CheckReport[];
  summary: { ok: number; warn: number; fail: number; skip: number; duration_ms: number };
}

/** What a check that needs the typed settings reports when they do not parse (the config check says why). */
export const SETTINGS_DO_NOT_PARSE: CheckResult = {
  status: 'skip',
  finding: 'skipped: the settings do not parse (see config)',
};
