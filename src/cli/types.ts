import type { Command } from 'commander';
import type { Output } from '../output/output.js';

/** Options every command accepts (SPEC §2). */
export interface GlobalOptions {
  /** @default process.cwd() */
  projectDir: string;
  file?: string;
  envFile?: string;
  projectName?: string;
  json: boolean;
  verbose: boolean;
  color: boolean;
}

export interface CommandContext {
  global: GlobalOptions;
  out: Output;
  env: NodeJS.ProcessEnv;
  /** Positional arguments, in commander's order. */
  args: unknown[];
  /** The command's own options. */
  options: Record<string, unknown>;
}

/** What a handler hands back: data for --json, and the exit code (0 unless a check failed). */
export interface CommandResult {
  data?: unknown;
  exitCode?: number;
}

/**
 * One command: metadata and options (cheap, loaded for --help), and a handler that imports
 * whatever heavy module it needs when it runs.
 */
export interface CommandDefinition {
  /** Words of the command path, e.g. `['db', 'reset']`. */
  path: string[];
  summary: string;
  /** Internal commands (what `up -d` spawns) stay out of --help. */
  hidden?: boolean;
  configure?: (command: Command) => void;
  run: (ctx: CommandContext) => Promise<CommandResult>;
}
