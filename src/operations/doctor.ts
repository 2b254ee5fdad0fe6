import type { ProjectOptions } from '../config/project.js';
import type { Check, DoctorReport } from '../doctor/types.js';
import { usageError } from '../errors/index.js';

export interface DoctorRunOptions extends ProjectOptions {
  /** Only these checks (ids such as `config`, `db.connect`). @default all */
  only?: string[];
  /** @default defaultChecks() */
  checks?: Check[];
  timeoutMs?: number;
}

/** `difyctl doctor` as a function: every documented troubleshooting step as a check, on the project's configuration. */
export async function doctor(options: DoctorRunOptions = {}): Promise<DoctorReport> {
  const { loadConfig } = await import('../config/resolve.js');
  const { runChecks, defaultChecks } = await import('../doctor/index.js');
  const checks = options.checks ?? defaultChecks();
  const known = checks.map((c) => c.id);
  const unknown = options.only?.filter((id) => !known.includes(id)) ?? [];
  if (unknown.length) throw usageError(`unknown check ${unknown.join(', ')}`, `Checks: ${known.join(', ')}`);
  const config = loadConfig(options);
  return runChecks({
    config,
    env: options.env ?? process.env,
    only: options.only,
    checks,
    timeoutMs: options.timeoutMs,
  });
}
