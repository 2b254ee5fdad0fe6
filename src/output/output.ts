import { Chalk, type ChalkInstance } from 'chalk';

/** How the CLI writes: the one place that knows about --json, colour and verbosity. */
export interface Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly color: ChalkInstance;
  readonly isTTY: boolean;
  /** Human output on stdout (suppressed in --json mode, where stdout carries one document). */
  print(text: string): void;
  /** Diagnostics on stderr. */
  info(text: string): void;
  warn(text: string): void;
  debug(text: string): void;
  /** Raw stdout: the JSON envelope, streamed logs. */
  writeStdout(text: string): void;
}

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
  /** false when --no-color was given. */
  color?: boolean;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Colour only on a TTY; NO_COLOR and --no-color turn it off, FORCE_COLOR turns it on (and wins
 * over the TTY test but not over --no-color).
 * @returns chalk level 0 (none) to 3
 */
export function colorLevel(options: { flag?: boolean; isTTY: boolean; env: NodeJS.ProcessEnv }): 0 | 1 | 2 | 3 {
  if (options.flag === false) return 0;
  const force = options.env.FORCE_COLOR;
  if (force !== undefined && force !== '') {
    if (force === '0' || force === 'false') return 0;
    return force === '2' ? 2 : force === '3' ? 3 : 1;
  }
  if (options.env.NO_COLOR !== undefined && options.env.NO_COLOR !== '') return 0;
  if (!options.isTTY || options.env.TERM === 'dumb') return 0;
  return 1;
}

export function createOutput(options: OutputOptions = {}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const json = options.json ?? false;
  const verbose = options.verbose ?? false;
  const isTTY = Boolean(stdout.isTTY);
  const color = new Chalk({ level: colorLevel({ flag: options.color, isTTY: Boolean(stderr.isTTY) || isTTY, env }) });
  const line = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
  return {
    json,
    verbose,
    color,
    isTTY,
    print: (text) => {
      if (!json) stdout.write(line(text));
    },
    info: (text) => {
      stderr.write(line(text));
    },
    warn: (text) => {
      stderr.write(line(`${color.yellow('warning')} ${text}`));
    },
    debug: (text) => {
      if (verbose) stderr.write(line(color.dim(text)));
    },
    writeStdout: (text) => {
      stdout.write(text);
    },
  };
}
