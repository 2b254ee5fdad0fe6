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

/** Waits for Ctrl-C / SIGTERM, or for a supervisor to give up. */
function untilStopped(launch: Launch): Promise<'signal' | 'gave-up'> {
  return new Promise((resolve) => {
    const onSignal = () => resolve('signal');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    for (const s of launch.supervisors) void s.done.then((how) => how === 'gave-up' && resolve('gave-up'));
  });
}

/** The full `difyctl up`: a listr2 task list over the phases of StackUp, then the status table. */
export async function runUp({ global, out, env }: CommandContext, options: RunUpOptions): Promise<CommandResult> {
  const { Listr, ListrLogger, ProcessOutput, PRESET_TIMESTAMP } = await import('listr2');
  const { StackUp: Up } = await import('../stack/up.js');
  const { stopServices } = await import('../stack/services/launch.js');
  const renderer = chooseRenderer({ isTTY: Boolean(process.stderr.isTTY), env, json: global.json, verbose: global.verbose });
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
  let already = false;
  let started = false;
  let launch: Launch | undefined;
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr), useIcons: renderer === 'default' });
  const tasks = new Listr(
    [
      {
        title: 'Checking for a running stack',
        task: async (_ctx, task) => {
          output = task;
          already = await up.alreadyRunning((holder) => say(`waiting for another difyctl (pid ${holder})`));
          task.title = already ? `Already running: ${up.services.join(', ')}` : 'No stack running';
        },
      },
      {
        title: 'Starting db and redis',
        skip: () => already,
        task: async (_ctx, task) => {
          output = task;
          const deps = await up.startDependencies();
          started = true;
          task.title = `Dependencies ready: ${deps.map((d) => `${d.name} (${d.provider}${d.reused ? ', reused' : ''})`).join(', ')}`;
        },
      },
      {
        title: 'Migrating the database',
        skip: () => already,
        task: async (_ctx, task) => {
          output = task;
          const result = await up.migrate();
          task.title = result.skipped ? 'Database at head (migrations off)' : result.applied.length ? `Applied ${result.applied.length} migration(s), database at head` : 'Database already at head';
        },
      },
      {
        title: `Starting ${up.services.join(' and ')}`,
        skip: () => already,
        task: async (_ctx, task) => {
          output = task;
          launch = await up.launch();
          task.title = launch.services.map((s) => `${s.service} ${s.url ? `healthy at ${s.url}` : 'running'} (pid ${s.record.pid})`).join(', ');
        },
      },
    ],
    { renderer, rendererOptions: { logger, timestamp: PRESET_TIMESTAMP }, exitOnError: true },
  );
  try {
    await tasks.run();
  } catch (error) {
    if (started) await up.undo();
    throw error;
  } finally {
    await up.release();
  }

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
    out.print(`logs: difyctl logs -f    status: difyctl ps    stop: difyctl down`);
  }
  if (already || options.detach || !launch) return { data };

  // Foreground: Ctrl-C stops api/worker gracefully; db and redis keep running (`difyctl down` stops them).
  out.info(`Press Ctrl-C to stop ${up.services.join(' and ')} (db and redis keep running).`);
  const how = await untilStopped(launch);
  await stopServices({ projectDir: up.config.project.projectDir, services: up.services, supervisors: launch.supervisors });
  if (how === 'gave-up') {
    throw new DifyctlError('SERVER.CRASHED', `${up.services.join('/')} kept crashing and difyctl gave up`, { hint: '`difyctl logs -n 50` and `difyctl doctor` tell why.' });
  }
  out.info(`stopped ${up.services.join(' and ')}`);
  return { data, exitCode: 130 };
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
