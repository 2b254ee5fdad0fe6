import { interruptedError } from '../errors/index.js';
import type { Launch } from '../stack/launch/launch.js';
import type { StatusRow } from '../stack/stack-status.js';
import type { ResolvedDependency } from '../stack/types.js';
import type { Stack, UpResult } from '../stack/stack.js';
import type { UpOptions } from '../stack/up.js';
import type { ServiceRow } from '../stack/launch/status.js';
import { serverCrashed } from '../stack/errors.js';

/** The processes `up` runs besides db and redis; any other name given to `up` is a dependency. */
const PROCESSES = ['api', 'worker'] as const;

/** One step of a full `up`, for a renderer that shows them as a task list (the CLI: listr2). */
export interface UpPhase {
  id: 'check' | 'dependencies' | 'migrate' | 'launch';
  title: string;
  /** True when this step has nothing to do (the stack already runs). */
  skip: () => boolean;
  /** Runs the step; resolves to the line that describes what it did. */
  run: () => Promise<string>;
}

/** Runs the phases in order; the CLI passes one that draws them. @default one after the other */
export type PhaseRunner = (phases: UpPhase[]) => Promise<void>;

export interface UpRunOptions extends UpOptions {
  /** `up db redis`: only these dependencies (compose names allowed); `api`/`worker` pick the mode. */
  services?: string[];
  /** Aborting it (Ctrl-C) undoes what this run created, then `up` throws CLI.INTERRUPTED. */
  signal?: AbortSignal;
  runPhases?: PhaseRunner;
  /** Another difyctl holds the project lock; called with its pid while waiting. */
  onWaitLock?: (holder: number) => void;
}

export type UpStatusRow = StatusRow | ServiceRow;

export interface UpOutcome extends UpResult {
  /** `up db redis`: only dependencies were started (no migration, no api/worker). */
  dependenciesOnly: boolean;
  detached: boolean;
  /** What `ps` shows right after (empty for `up db redis`). */
  rows: UpStatusRow[];
  /**
   * Foreground only: resolves when `signal` aborts (Ctrl-C), after api/worker stopped gracefully
   * (db and redis keep running); throws SERVER.CRASHED when a supervisor gave up.
   */
  untilStopped?: (signal: AbortSignal) => Promise<void>;
}

const sequential: PhaseRunner = async (phases) => {
  for (const phase of phases) if (!phase.skip()) await phase.run();
};

/** The mode the requested names pick: both → all, one → that one, none → options.mode. */
export function modeOf(services: string[], fallback: UpOptions['mode']): UpOptions['mode'] {
  const processes = services.filter((s): s is (typeof PROCESSES)[number] =>
    (PROCESSES as readonly string[]).includes(s),
  );
  return processes.length === 2 ? 'all' : processes.length === 1 ? processes[0] : fallback;
}

/**
 * `difyctl up` as a function (SPEC §3): the project lock, db and redis, migrations, then api/worker
 * supervised. A failure or an aborted signal removes what this run created (data stays).
 */
export async function up(options: UpRunOptions): Promise<UpOutcome> {
  const requested = options.services ?? [];
  if (requested.length > 0 && !requested.some((s) => (PROCESSES as readonly string[]).includes(s)))
    return upDependencies(options, requested);
  const { createStack } = await import('../stack/stack.js');
  const stackUp = createStack({ ...options, mode: modeOf(requested, options.mode) });
  void stackUp.settings; // an invalid configuration starts nothing and takes no lock (throws CONFIG.INVALID)
  const { launch, already } = await runPhases(stackUp, options);
  const result = stackUp.result(launch, already);
  const detached = (options.detach ?? false) || already;
  const outcome: UpOutcome = { ...result, dependenciesOnly: false, detached, rows: await statusRows(stackUp) };
  if (!detached && launch) outcome.untilStopped = (signal) => superviseUntil(stackUp, launch, signal);
  return outcome;
}

async function runPhases(stackUp: Stack, options: UpRunOptions): Promise<{ launch?: Launch; already: boolean }> {
  const state: { launch?: Launch; already: boolean } = { already: false };
  const skip = () => state.already;
  const phases: UpPhase[] = [
    {
      id: 'check',
      title: 'Checking for a running stack',
      skip: () => false,
      run: async () => {
        state.already = await stackUp.alreadyRunning(options.onWaitLock);
        return state.already ? `Already running: ${stackUp.services.join(', ')}` : 'No stack running';
      },
    },
    {
      id: 'dependencies',
      title: 'Starting db and redis',
      skip,
      run: async () => {
        const deps = await stackUp.startDependencies();
        return `Dependencies ready: ${deps.map((d) => `${d.name} (${d.provider}${d.reused ? ', reused' : ''})`).join(', ')}`;
      },
    },
    {
      id: 'migrate',
      title: 'Migrating the database',
      skip,
      run: async () => {
        const result = await stackUp.migrate();
        return result.skipped
          ? 'Database at head (migrations off)'
          : result.applied.length
            ? `Applied ${result.applied.length} migration(s), database at head`
            : 'Database already at head';
      },
    },
    {
      id: 'launch',
      title: `Starting ${stackUp.services.join(' and ')}`,
      skip,
      run: async () => {
        state.launch = await stackUp.launch();
        return state.launch.services
          .map((s) => `${s.service} ${s.url ? `healthy at ${s.url}` : 'running'} (pid ${s.record.pid})`)
          .join(', ');
      },
    },
  ];
  const signal = options.signal;
  const interrupted = new Promise<never>((_, reject) => {
    const fail = () => reject(interruptedError('interrupted: stopping what this `up` started'));
    if (signal?.aborted) fail();
    else signal?.addEventListener('abort', fail, { once: true });
  });
  interrupted.catch(() => undefined);
  try {
    await Promise.race([(options.runPhases ?? sequential)(phases), interrupted]);
    return state;
  } catch (error) {
    // What this run created goes: the api/worker it spawned, then the db/redis it started (data stays).
    // Not a stack another `up` runs: a run that failed waiting for the lock created nothing.
    await stackUp.undo();
    throw error;
  } finally {
    await stackUp.release();
  }
}

/** Resolves on the signal (even one that came earlier), or when a supervisor gives up. */
function stopReason(launch: Launch, signal: AbortSignal): Promise<'signal' | 'gave-up'> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve('signal');
    signal.addEventListener('abort', () => resolve('signal'), { once: true });
    for (const s of launch.supervisors) void s.done.then((how) => how === 'gave-up' && resolve('gave-up'));
  });
}

/** Foreground: api/worker run until the signal; then they stop gracefully (db and redis keep running). */
async function superviseUntil(stackUp: Stack, launch: Launch, signal: AbortSignal): Promise<void> {
  const how = await stopReason(launch, signal);
  const { stopServices } = await import('../stack/launch/launch.js');
  await stopServices({
    projectDir: stackUp.config.project.projectDir,
    services: stackUp.services,
    supervisors: launch.supervisors,
  });
  if (how === 'gave-up') {
    throw serverCrashed(`${stackUp.services.join('/')} kept crashing and difyctl gave up`, {
      hint: '`difyctl logs -n 50` and `difyctl doctor` tell why.',
    });
  }
}

async function statusRows(stackUp: Stack): Promise<UpStatusRow[]> {
  const { ps } = await import('./ps.js');
  return ps({ config: stackUp.config });
}

/** `up db redis`: only the dependencies, returning once they serve. */
async function upDependencies(options: UpRunOptions, requested: string[]): Promise<UpOutcome> {
  const { loadConfig, requireValid } = await import('../config/resolve.js');
  const { createStack, unknownDependency } = await import('../stack/index.js');
  const config = loadConfig({ ...options, mode: 'api' });
  const stack = createStack({
    config,
    provider: options.provider,
    timeoutMs: options.timeoutMs,
    report: options.report,
    env: options.env,
    clock: options.clock,
  });
  const names = requested.map((name) => {
    const dependency = stack.dependencyNamed(name);
    if (!dependency) throw unknownDependency(name, ['db', 'redis', 'api', 'worker']);
    return dependency;
  });
  const settings = requireValid(config); // an invalid configuration starts nothing and writes nothing (not even the lock)
  // Like the full `up`: one change to this project's stack at a time (a concurrent `down` or `up`).
  const { acquireProjectLock } = await import('../supervision/project-lock.js');
  const { DEFAULT_TIMEOUT_MS } = await import('../stack/stack.js');
  const lock = await acquireProjectLock({
    projectDir: config.project.projectDir,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    onWait: options.onWaitLock,
  });
  // Aborted while starting: what this run started goes (data stays), then CLI.INTERRUPTED.
  const interrupt = () => void stack.undo();
  options.signal?.addEventListener('abort', interrupt, { once: true });
  let dependencies: ResolvedDependency[];
  try {
    if (options.signal?.aborted) interrupt();
    dependencies = await stack.up([...new Set(names)]);
  } finally {
    options.signal?.removeEventListener('abort', interrupt);
    await lock.release();
  }
  return {
    alreadyRunning: false,
    services: [],
    dependencies,
    migrated: [],
    settings,
    dependenciesOnly: true,
    detached: true,
    rows: [],
  };
}
