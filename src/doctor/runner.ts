import type { ResolvedConfig } from '../config/resolve.js';
import type { RuntimeConnector } from '../stack/providers/docker/runtime.js';
import type { Check, CheckReport, CheckResult, DoctorReport } from './types.js';

export interface RunDoctorOptions {
  checks: Check[];
  config: ResolvedConfig;
  env?: NodeJS.ProcessEnv;
  /** Only these ids (and nothing else, not even their dependencies' reports). */
  only?: string[];
  /** Per-check budget. @default 3000 */
  timeoutMs?: number;
  now?: () => number;
  /** @default dockerode's engine (tryEngine) */
  connect?: RuntimeConnector;
}

const dockerode: RuntimeConnector = async (args) => {
  const { tryEngine } = await import('../stack/providers/docker/engine.js');
  return tryEngine(args.env, { recorded: args.recorded, timeoutMs: args.timeoutMs });
};

class CheckTimeout extends Error {}

function withBudget<T>(work: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new CheckTimeout());
    }, ms);
  });
  return Promise.race([work(controller.signal), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs the checks concurrently, each within its budget. A check waits for the checks it depends
 * on and is skipped (saying which one) when any of them did not pass.
 */
export async function runDoctor(options: RunDoctorOptions): Promise<DoctorReport> {
  const now = options.now ?? Date.now;
  const budget = options.timeoutMs ?? 3000;
  const started = now();
  const selected = options.checks.filter((c) => c.applies?.(options.config) ?? true);
  const byId = new Map(selected.map((c) => [c.id, c]));
  const running = new Map<string, Promise<CheckReport>>();

  const run = (check: Check): Promise<CheckReport> => {
    const existing = running.get(check.id);
    if (existing) return existing;
    const promise = (async (): Promise<CheckReport> => {
      const deps: Record<string, CheckResult> = {};
      for (const id of check.dependsOn ?? []) {
        const dep = byId.get(id);
        if (dep) deps[id] = await run(dep);
      }
      const t0 = now();
      const blocked = Object.entries(deps).find(([, r]) => r.status === 'fail' || r.status === 'skip');
      let result: CheckResult;
      if (blocked) {
        result = { status: 'skip', finding: `skipped: ${blocked[0]} did not pass` };
      } else {
        try {
          result = await withBudget(
            (signal) =>
              check.run({
                config: options.config,
                env: options.env ?? process.env,
                signal,
                dependencies: deps,
                connect: options.connect ?? dockerode,
              }),
            budget,
          );
        } catch (error) {
          result =
            error instanceof CheckTimeout
              ? {
                  status: 'fail',
                  finding: `no answer within ${budget / 1000} s`,
                  fix: `Run \`difyctl doctor --only ${check.id} --verbose\` again; if it persists the service is hanging.`,
                }
              : {
                  status: 'fail',
                  finding: `the check itself failed: ${error instanceof Error ? error.message : String(error)}`,
                };
        }
      }
      return { id: check.id, title: check.title, ...result, duration_ms: Math.round(now() - t0) };
    })();
    running.set(check.id, promise);
    return promise;
  };

  const wanted = options.only?.length ? selected.filter((c) => options.only?.includes(c.id)) : selected;
  const checks = await Promise.all(wanted.map(run));
  const count = (s: CheckResult['status']) => checks.filter((c) => c.status === s).length;
  return {
    checks,
    summary: {
      ok: count('ok'),
      warn: count('warn'),
      fail: count('fail'),
      skip: count('skip'),
      duration_ms: Math.round(now() - started),
    },
  };
}
