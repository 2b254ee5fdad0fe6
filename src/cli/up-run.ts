import type { ProjectOptions } from '../config/project.js';
import { DifyctlError } from '../errors/index.js';
import { chooseRenderer } from '../output/renderer.js';
import type { Launch } from '../stack/services/launch.js';
import type { StackEvent } from '../stack/types.js';
import type { StackUp } from '../stack/up.js';
import { dependencyData, renderStatus } from './render-stack.js';
import type { CommandContext, CommandResult } from './types.js';

export interface RunUpOptions {
  mode: 'api' | 'worker' | 'all';
  provider: 'auto' | 'docker' | 'embedded' | 'external';
  detach: boolean;
  migrate: boolean;
  timeoutMs: number;
  projectOptions: ProjectOptions;
}

function describe(event: StackEvent): string | undefined {
  switch (event.type) {
    case 'provider':
      return `${event.dependency}: ${event.provider} (${event.reason})`;
    case 'starting':
      return `${event.dependency}: ${event.detail}`;
    case 'waiting':
      return `${event.dependency}: waiting: ${event.reason}`;
    case 'pull-progress':
      return `pull ${event.image}${event.layer ? ` ${event.layer}` : ''}: ${event.status}${event.total ? ` ${Math.round((event.current ?? 0) / 1e6)}/${Math.round(event.total / 1e6)} MB` : ''}`;
    case 'ready':
      return `${event.dependency.name}: ready`;
    case 'stopped':
      return `${event.dependency}: stopped ${event.detail}`;
    case 'warning':
      return `warning: ${event.message}`;
  }
}

/** Resolves on Ctrl-C / SIGTERM (even one that came earlier), or when a supervisor gives up. */
function untilStopped(launch: Launch, signal: AbortSignal): Promise<'signal' | 'gave-up'> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve('signal');
    signal.addEventListener('abort', () => resolve('signal'), { once: true });
    for (const s of launch.supervisors) void s.done.then((how) => how === 'gave-up' && resolve('gave-up'));
  });
}

interface Started {
  up: StackUp;
  launch?: Launch;
  already: boolean;
}

/** The phases of StackUp as a listr2 task list; Ctrl-C (the signal) or a failure undoes what this run created. */
async function startStack(ctx: CommandContext, options: RunUpOptions, signal: AbortSignal): Promise<Started> {
  const { global, env } = ctx;
  const { Listr, ListrLogger, ProcessOutput, PRESET_TIMESTAMP } = await import('listr2');
  const { StackUp: Up } = await import('../stack/up.js');
  const renderer = chooseRenderer({ isTTY: Boolean(process.stderr.isTTY), env, json: global.json, verbose: global.verbose, columns: process.stderr.isTTY ? process.stderr.columns : undefined });
  let output: { output?: string } | undefined;
  const say = (text: string | undefined) => {
    if (text && output) output.output = text;
  };
  const up: StackUp = new Up({
    ...options.projectOptions,
    env,
    mode: options.mode,
    provider: options.provider,
    detach: options.detach,
    migrate: options.migrate,
    timeoutMs: options.timeoutMs,
    report: (event) => say(describe(event)),
    onServiceEvent: (event) => say(event.type === 'waiting' ? `${event.service}: waiting: ${event.reason}` : event.type === 'spawn' ? `${event.service}: pid ${event.pid}` : event.type === 'exit' ? `${event.service}: exited (${event.signal ?? event.code})` : undefined),
  });
  const state: Started = { up, already: false };
  const tasks = new Listr(
    [
      {
        title: 'Checking for a running stack',
        task: async (_ctx, task) => {
          output = task;
          state.already = await up.alreadyRunning((holder) => say(`waiting for another difyctl (pid ${holder})`));
          task.title = state.already ? `Already running: ${up.services.join(', ')}` : 'No stack running';
        },
      },
      {
        title: 'Starting db and redis',
        skip: () => state.already,
        task: async (_ctx, task) => {
          output = task;
          const deps = await up.startDependencies();
          task.title = `Dependencies ready: ${deps.map((d) => `${d.name} (${d.provider}${d.reused ? ', reused' : ''})`).join(', ')}`;
        },
      },
      {
        title: 'Migrating the database',
        skip: () => state.already,
        task: async (_ctx, task) => {
          output = task;
          const result = await up.migrate();
          task.title = result.skipped ? 'Database at head (migrations off)' : result.applied.length ? `Applied ${result.applied.length} migration(s), database at head` : 'Database already at head';
        },
      },
      {
        title: `Starting ${up.services.join(' and ')}`,
        skip: () => state.already,
        task: async (_ctx, task) => {
          output = task;
          state.launch = await up.launch();
          task.title = state.launch.services.map((s) => `${s.service} ${s.url ? `healthy at ${s.url}` : 'running'} (pid ${s.record.pid})`).join(', ');
        },
      },
    ],
    {
      renderer,
      rendererOptions: { logger: new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr), useIcons: renderer === 'default' }), timestamp: PRESET_TIMESTAMP },
      exitOnError: true,
      // listr2's own SIGINT handler exits with 127: difyctl handles Ctrl-C itself (exit 130).
      registerSignalListeners: false,
    },
  );
  const interrupted = new Promise<never>((_, reject) => {
    const fail = () => reject(new DifyctlError('CLI.INTERRUPTED', 'interrupted: stopping what this `up` started'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  interrupted.catch(() => undefined);
  try {
    await Promise.race([tasks.run(), interrupted]);
    return state;
  } catch (error) {
    // What this run created goes: the api/worker it spawned, then the db/redis it started (data stays).
    // Not a stack another `up` runs: a run that failed waiting for the lock created nothing.
    await up.undo();
    throw error;
  } finally {
    await up.release();
  }
}

/** The full `difyctl up`: the task list, the status table, then (foreground) supervision until Ctrl-C. */
export async function runUp(ctx: CommandContext, options: RunUpOptions): Promise<CommandResult> {
  const { global, out } = ctx;
  // One handler for the whole command: Ctrl-C while starting undoes this run; once up, it stops api/worker.
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { up, launch, already } = await startStack(ctx, options, stop.signal);
    const result = up.result(launch, already);
    const rows = await statusRows(up);
    const data = {
      alreadyRunning: already,
      mode: options.mode,
      detached: options.detach || already,
      apiUrl: result.apiUrl ?? null,
      migrated: result.migrated,
      dependencies: result.dependencies.map(dependencyData),
      services: rows,
    };
    if (!global.json) {
      out.print(already ? out.color.yellow('already running') : out.color.green('✓ stack is up'));
      out.print(renderStatus(rows));
      if (result.apiUrl) out.print(`\nAPI:  ${result.apiUrl}  (console: ${result.apiUrl}/console/api, service API: ${result.apiUrl}/v1)`);
      out.print('logs: difyctl logs -f    status: difyctl ps    stop: difyctl down');
    }
    if (already || options.detach || !launch) return { data };

    // Foreground: Ctrl-C stops api/worker gracefully; db and redis keep running (`difyctl down` stops them).
    out.info(`Press Ctrl-C to stop ${up.services.join(' and ')} (db and redis keep running).`);
    const how = await untilStopped(launch, stop.signal);
    const { stopServices } = await import('../stack/services/launch.js');
    await stopServices({ projectDir: up.config.project.projectDir, services: up.services, supervisors: launch.supervisors });
    if (how === 'gave-up') {
      throw new DifyctlError('SERVER.CRASHED', `${up.services.join('/')} kept crashing and difyctl gave up`, { hint: '`difyctl logs -n 50` and `difyctl doctor` tell why.' });
    }
    out.info(`stopped ${up.services.join(' and ')}`);
    return { data, exitCode: 130 };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function statusRows(up: StackUp) {
  const { serviceRows } = await import('../stack/services/status.js');
  const { readReadyMarker } = await import('../stack/services/ready-marker.js');
  const { readState } = await import('../stack/state.js');
  const { createStack } = await import('../stack/index.js');
  const { projectDir, projectName } = up.config.project;
  const deps = await createStack({ config: up.config, env: up.config.project.env }).ps();
  const state = await readState(projectDir, projectName);
  return [...deps, ...(await serviceRows({ projectDir, readMarker: () => readReadyMarker(up.settings, state) }))];
}
