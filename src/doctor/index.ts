import type { ResolvedConfig } from '../config/resolve.js';
import type { RuntimeConnector } from '../stack/providers/docker/runtime.js';
import { defaultChecks } from './checks/index.js';
import { runDoctor } from './runner.js';
import type { Check, DoctorReport } from './types.js';

export interface DoctorOptions {
  config: ResolvedConfig;
  env?: NodeJS.ProcessEnv;
  only?: string[];
  checks?: Check[];
  timeoutMs?: number;
  connect?: RuntimeConnector;
}

/** `difyctl doctor` as a function: every documented troubleshooting step, concurrently. */
export function runChecks(options: DoctorOptions): Promise<DoctorReport> {
  // A fresh object per run: the checks share what they read of the stack state within one run only.
  return runDoctor({
    checks: options.checks ?? defaultChecks(),
    config: { ...options.config },
    env: options.env,
    only: options.only,
    timeoutMs: options.timeoutMs,
    connect: options.connect,
  });
}

export { defaultChecks, runDoctor };
export type { Check, CheckReport, CheckResult, DoctorReport } from './types.js';
