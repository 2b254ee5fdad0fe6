import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { createOutput, type Output } from '../output/output.js';
import { failureEnvelope, renderEnvelope, successEnvelope } from '../output/envelope.js';
import { EXIT } from '../errors/codes.js';
import { COMMANDS } from './registry.js';
import { reportError } from './report-error.js';
import type { CommandDefinition, GlobalOptions } from './types.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The global options (SPEC §2). Each command also accepts them after its name, as compose does. */
const GLOBAL_OPTIONS: Array<{ short?: string; long: string; arg?: string; description: string }> = [
  {
    short: '-C',
    long: '--project-dir',
    arg: '<dir>',
    description: 'project directory (default: the current directory)',
  },
  {
    short: '-f',
    long: '--file',
    arg: '<file>',
    description: 'compose file (default: docker-compose.yaml, compose.yaml, …)',
  },
  { long: '--env-file', arg: '<file>', description: 'env file (default: .env)' },
  {
    short: '-p',
    long: '--project-name',
    arg: '<name>',
    description: 'project name (default: COMPOSE_PROJECT_NAME or the directory name)',
  },
  { long: '--json', description: 'print one JSON document on stdout' },
  { long: '--verbose', description: 'more detail on stderr' },
  { long: '--no-color', description: 'no colour (also NO_COLOR)' },
];

function globalOption(spec: (typeof GLOBAL_OPTIONS)[number], withShort: boolean): Option {
  const flags = [withShort && spec.short ? `${spec.short}, ` : '', spec.long, spec.arg ? ` ${spec.arg}` : ''].join('');
  return new Option(flags, spec.description);
}

/**
 * Copies the global options onto a command (hidden from its help, which lists them as global),
 * so `difyctl config --json` works with positional options on. A command's own short flag wins:
 * `logs -f` is --follow, and there --file keeps only its long form.
 */
function addGlobalOptions(command: Command): void {
  for (const spec of GLOBAL_OPTIONS) {
    if (command.options.some((o) => o.long === spec.long)) continue;
    const shortTaken = command.options.some((o) => o.short === spec.short);
    command.addOption(globalOption(spec, !shortTaken).hideHelp());
  }
}

/** A global option's value: given after the command wins over before it; else the default. */
function globalValue(command: Command, key: string): unknown {
  for (let c: Command | null = command; c; c = c.parent) {
    const source = c.getOptionValueSource(key);
    if (source === 'cli' || source === 'env') return c.getOptionValue(key);
  }
  return undefined;
}

function globalOptions(command: Command): GlobalOptions {
  const str = (key: string) => {
    const v = globalValue(command, key);
    return typeof v === 'string' ? v : undefined;
  };
  return {
    projectDir: str('projectDir') ?? process.cwd(),
    file: str('file'),
    envFile: str('envFile'),
    projectName: str('projectName'),
    json: globalValue(command, 'json') === true,
    verbose: globalValue(command, 'verbose') === true,
    color: globalValue(command, 'color') !== false,
  };
}

/** Descriptions of command groups (`difyctl db reset`). */
const GROUPS: Record<string, string> = {
  db: 'database maintenance: reset',
  providers: "the workspace's model providers: list, add, rm",
  apps: 'apps of the workspace: list, create, rm, import, export',
  keys: "an app's API keys: create, list, rm",
};

function findOrCreate(parent: Command, name: string): Command {
  return parent.commands.find((c) => c.name() === name) ?? parent.command(name).description(GROUPS[name] ?? '');
}

interface RunState {
  exitCode: number;
}

function register(program: Command, def: CommandDefinition, state: RunState, env: NodeJS.ProcessEnv): void {
  let parent = program;
  for (const word of def.path.slice(0, -1)) parent = findOrCreate(parent, word);
  const command = parent.command(def.path[def.path.length - 1] ?? '', { hidden: def.hidden }).description(def.summary);
  def.configure?.(command);
  addGlobalOptions(command);
  command.action(async (...raw: unknown[]) => {
    // commander passes (...args, options, command)
    const self = raw[raw.length - 1] as Command;
    const args = raw.slice(0, -2);
    const global = globalOptions(self);
    const out = createOutput({ json: global.json, verbose: global.verbose, color: global.color, env });
    const name = def.path.join(' ');
    try {
      const result = await def.run({ global, out, env, args, options: self.opts() });
      state.exitCode = result.exitCode ?? EXIT.ok;
      if (global.json)
        out.writeStdout(renderEnvelope({ ...successEnvelope(name, result.data), ok: state.exitCode === 0 }));
    } catch (error) {
      state.exitCode = reportError(error, { out, command: name, envelope: failureEnvelope });
    }
  });
}

export function buildProgram(state: RunState, env: NodeJS.ProcessEnv): Command {
  const program = new Command('difyctl')
    .description('Run a Dify-style API stack: PostgreSQL, Redis, the API server and its worker.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .enablePositionalOptions()
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const spec of GLOBAL_OPTIONS) program.addOption(globalOption(spec, true));
  for (const def of COMMANDS) register(program, def, state, env);
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // `difyctl logs | head`: a closed pipe ends the output quietly, as with other CLI tools.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const state: RunState = { exitCode: EXIT.ok };
  const program = buildProgram(state, env);
  try {
    await program.parseAsync(argv);
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return EXIT.ok;
      // commander has already printed the usage error on stderr.
      return EXIT.usage;
    }
    const out: Output = createOutput({ json: argv.includes('--json'), env });
    return reportError(error, { out, command: argv[2] ?? '', envelope: failureEnvelope });
  }
}
