import type { ProjectOptions } from '../config/project.js';
import type { DifyctlError } from '../errors/index.js';
import type { Reporter } from '../stack/types.js';

export interface DownOptions extends ProjectOptions {
  /** Also delete the data of db and redis. @default false */
  volumes?: boolean;
  report?: Reporter;
  /** Another difyctl holds the project lock; called with its pid while waiting. */
  onWaitLock?: (holder: number) => void;
  /** @default 60_000 */
  lockTimeoutMs?: number;
  /** On a full disk the lock cannot be written: `down` goes on without it, after telling this. */
  onWithoutLock?: (why: DifyctlError) => void;
}

export interface DownOutcome {
  stopped: string[];
  removed: string[];
  /** Containers it could not reach: they still run (their record stays). */
  kept: string[];
  warning?: string;
}

/** `difyctl down` as a function: api and worker first (they drain), then db and redis; data stays unless `volumes`. */
export async function down(options: DownOptions = {}): Promise<DownOutcome> {
  const { loadConfig } = await import('../config/resolve.js');
  const { createStack } = await import('../stack/index.js');
  const { stopServices } = await import('../stack/launch/launch.js');
  const { acquireProjectLock } = await import('../supervision/project-lock.js');
  const config = loadConfig({ ...options, mode: 'api' });
  const env = options.env ?? process.env;
  // On a full disk `down` still stops the stack: without the lock when it cannot be written.
  const lock = await acquireProjectLock({
    projectDir: config.project.projectDir,
    timeoutMs: options.lockTimeoutMs ?? 60_000,
    withoutLockOnFullDisk: true,
    onWait: options.onWaitLock,
  });
  if (lock.unwritten) options.onWithoutLock?.(lock.unwritten);
  try {
    const stack = createStack({ config, env, report: options.report });
    // --volumes with a container it cannot reach: refused before anything is stopped or deleted.
    await stack.checkDown({ volumes: options.volumes === true });
    const services = await stopServices({ projectDir: config.project.projectDir, services: ['api', 'worker'] });
    const result: DownOutcome = await stack.down({ volumes: options.volumes === true });
    result.stopped.unshift(...services);
    return result;
  } finally {
    await lock.release();
  }
}
