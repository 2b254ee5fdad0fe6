import type { ProjectOptions } from '../config/project.js';
import type { UpPhase, UpRunOptions } from '../operations/up.js';
import { chooseRenderer } from '../output/renderer.js';
import type { StackEvent } from '../stack/types.js';
import { dependencyData, renderReady, renderStatus } from './render-stack.js';
import type { CommandContext, CommandResult } from './types.js';

export interface RunUpOptions {
  services: string[];
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

/** Draws `up`'s phases as a listr2 task list; each task shows the latest event as its output line. */
async function listrPhases(
  ctx: CommandContext,
  sink: { say?: (text: string | undefined) => void },
): Promise<NonNullable<UpRunOptions['runPhases']>> {
  const { global, env } = ctx;
  const { Listr, ListrLogger, ProcessOutput, PRESET_TIMESTAMP } = await import('listr2');
  const renderer = chooseRenderer({
    isTTY: Boolean(process.stderr.isTTY),
    env,
    json: global.json,
    verbose: global.verbose,
    columns: process.stderr.isTTY ? process.stderr.columns : undefined,
  });
  return async (phases: UpPhase[]) => {
    const tasks = new Listr(
      phases.map((phase) => ({
        title: phase.title,
        skip: phase.skip,
        task: async (_ctx: unknown, task: { output?: string; title: string }) => {
          sink.say = (text) => {
            if (text) task.output = text;
          };
          task.title = await phase.run();
        },
      })),
      {
        renderer,
        rendererOptions: {
          logger: new ListrLogger({
            processOutput: new ProcessOutput(process.stderr, process.stderr),
            useIcons: renderer === 'default',
          }),
          timestamp: PRESET_TIMESTAMP,
        },
        exitOnError: true,
        // listr2's own SIGINT handler exits with 127: difyctl handles Ctrl-C itself (exit 130).
        registerSignalListeners: false,
      },
    );
    await tasks.run();
  };
}

/** `difyctl up`: parse → `up()` → render; Ctrl-C undoes a run still starting, or stops a foreground one. */
export async function runUp(ctx: CommandContext, options: RunUpOptions): Promise<CommandResult> {
  const { global, out, env } = ctx;
  const { up } = await import('../operations/up.js');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const dependenciesOnly =
      options.services.length > 0 && !options.services.some((s) => s === 'api' || s === 'worker');
    const sink: { say?: (text: string | undefined) => void } = {};
    const say = (text: string | undefined) => sink.say?.(text);
    const { stackReporter } = await import('./render-stack.js');
    const outcome = await up({
      ...options.projectOptions,
      env,
      services: options.services,
      mode: options.mode,
      provider: options.provider,
      detach: options.detach,
      migrate: options.migrate,
      timeoutMs: options.timeoutMs,
      signal: stop.signal,
      report: dependenciesOnly ? stackReporter(out) : (event) => say(describe(event)),
      onServiceEvent: (event) =>
        say(
          event.type === 'waiting'
            ? `${event.service}: waiting: ${event.reason}`
            : event.type === 'spawn'
              ? `${event.service}: pid ${event.pid}`
              : event.type === 'exit'
                ? `${event.service}: exited (${event.signal ?? event.code})`
                : undefined,
        ),
      onWaitLock: (holder) =>
        dependenciesOnly
          ? out.info(`waiting for another difyctl (pid ${holder})`)
          : say(`waiting for another difyctl (pid ${holder})`),
      runPhases: dependenciesOnly ? undefined : await listrPhases(ctx, sink),
    });
    if (outcome.dependenciesOnly) {
      out.print(renderReady(outcome.dependencies, out));
      return { data: { services: outcome.dependencies.map(dependencyData) } };
    }
    const already = outcome.alreadyRunning;
    const data = {
      alreadyRunning: already,
      mode: options.mode,
      detached: outcome.detached,
      apiUrl: outcome.apiUrl ?? null,
      migrated: outcome.migrated,
      dependencies: outcome.dependencies.map(dependencyData),
      services: outcome.rows,
    };
    if (!global.json) {
      out.print(already ? out.color.yellow('already running') : out.color.green('✓ stack is up'));
      out.print(renderStatus(outcome.rows));
      if (outcome.apiUrl)
        out.print(
          `\nAPI:  ${outcome.apiUrl}  (console: ${outcome.apiUrl}/console/api, service API: ${outcome.apiUrl}/v1)`,
        );
      out.print('logs: difyctl logs -f    status: difyctl ps    stop: difyctl down');
    }
    if (!outcome.untilStopped) return { data };
    // Foreground: Ctrl-C stops api/worker gracefully; db and redis keep running (`difyctl down` stops them).
    out.info(`Press Ctrl-C to stop ${outcome.services.join(' and ')} (db and redis keep running).`);
    await outcome.untilStopped(stop.signal);
    out.info(`stopped ${outcome.services.join(' and ')}`);
    return { data, exitCode: 130 };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
