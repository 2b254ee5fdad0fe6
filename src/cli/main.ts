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

function globalOptions(command: Command): GlobalOptions {
  const o = command.optsWithGlobals<Record<string, unknown>>();
  return {
    projectDir: typeof o.projectDir === 'string' ? o.projectDir : process.cwd(),
    file: typeof o.file === 'string' ? o.file : undefined,
    envFile: typeof o.envFile === 'string' ? o.envFile : undefined,
    projectName: typeof o.projectName === 'string' ? o.projectName : undefined,
    json: o.json === true,
    verbose: o.verbose === true,
    color: o.color !== false,
  };
}

function findOrCreate(parent: Command, name: string): Command {
  return parent.commands.find((c) => c.name() === name) ?? parent.command(name);
}

interface RunState {
  exitCode: number;
}

function register(program: Command, def: CommandDefinition, state: RunState, env: NodeJS.ProcessEnv): void {
  let parent = program;
  for (const word of def.path.slice(0, -1)) parent = findOrCreate(parent, word);
  const command = parent.command(def.path[def.path.length - 1] ?? '').description(def.summary);
  def.configure?.(command);
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
      if (global.json) out.writeStdout(renderEnvelope({ ...successEnvelope(name, result.data), ok: state.exitCode === 0 }));
    } catch (error) {
      state.exitCode = reportError(error, { out, command: name, envelope: failureEnvelope });
    }
  });
}

export function buildProgram(state: RunState, env: NodeJS.ProcessEnv): Command {
  const program = new Command('difyctl')
    .description('Run a Dify-style API stack: PostgreSQL, Redis, the API server and its worker.')
    .version(packageVersion(), '--version', 'print the version')
    .option('-C, --project-dir <dir>', 'project directory (default: the current directory)')
    .option('-f, --file <file>', 'compose file (default: docker-compose.yaml, compose.yaml, …)')
    .option('--env-file <file>', 'env file (default: .env)')
    .option('-p, --project-name <name>', 'project name (default: COMPOSE_PROJECT_NAME or the directory name)')
    .option('--json', 'print one JSON document on stdout')
    .option('--verbose', 'more detail on stderr')
    .addOption(new Option('--no-color', 'no colour (also NO_COLOR)'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const def of COMMANDS) register(program, def, state, env);
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
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
