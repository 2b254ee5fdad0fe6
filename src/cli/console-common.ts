/**
 * What the console commands share: the connection to the project's server (the client module is
 * loaded only when a command runs), reading a secret from stdin, and asking on a terminal.
 */
import type { ConsoleClient } from '../console-client/http.js';
import type { CommandContext } from './types.js';
import { interruptedError, usageError } from '../errors/cli-errors.js';

export async function connect({ global, env }: CommandContext): Promise<ConsoleClient> {
  const { connectConsole } = await import('../console-client/http.js');
  return connectConsole({
    projectDir: global.projectDir,
    file: global.file,
    envFile: global.envFile,
    projectName: global.projectName,
    env,
  });
}

/** All of stdin, without its final line break (`echo $KEY | difyctl … --api-key-stdin`). */
export async function readStdin(what: string): Promise<string> {
  if (process.stdin.isTTY)
    throw usageError(`${what} is read from stdin, which is a terminal`, {
      hint: `Pipe it in: \`printf %s "$SECRET" | difyctl … \`.`,
    });
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)); // stdin yields Buffers without an encoding
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!text) throw usageError(`${what}: stdin was empty`);
  return text;
}

export interface Prompter {
  /** A question on stderr; the trimmed answer, '' once the input ended (Ctrl-D). Ctrl-C: CLI.INTERRUPTED. */
  ask(question: string): Promise<string>;
  close(): void;
}

/** One readline on the terminal for a series of questions (lines typed ahead are kept for the next). */
export async function prompter(): Promise<Prompter> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  let closed = false;
  rl.once('close', () => {
    closed = true;
  });
  // The terminal is in raw mode while this lives: Ctrl-C reaches readline, not the process. While a
  // question waits it interrupts the question; otherwise (an answer streaming) it is passed on as
  // the SIGINT the rest of the command listens for.
  let onQuestionSigint: (() => void) | undefined;
  rl.on('SIGINT', () => (onQuestionSigint ? onQuestionSigint() : process.kill(process.pid, 'SIGINT')));
  return {
    ask: async (question) => {
      if (closed) return '';
      let onClose = (): void => undefined;
      const interrupted = new Promise<never>((_, reject) => {
        onQuestionSigint = () => reject(interruptedError('interrupted'));
      });
      const ended = new Promise<string>((resolve) => {
        onClose = () => resolve('');
        rl.once('close', onClose);
      });
      const answer = rl.question(question);
      answer.catch(() => undefined); // settled by the close when the input ended first
      try {
        return (await Promise.race([answer, interrupted, ended])).trim();
      } finally {
        onQuestionSigint = undefined;
        rl.off('close', onClose);
      }
    },
    close: () => rl.close(),
  };
}

/** One question on the terminal. */
export async function ask(question: string): Promise<string> {
  const p = await prompter();
  try {
    return await p.ask(question);
  } finally {
    p.close();
  }
}

/** A password typed on the terminal without echo (Ctrl-C interrupts). */
export async function askSecret(question: string): Promise<string> {
  const stdin = process.stdin;
  // Echo off before the prompt shows: what is typed the moment the prompt appears is not echoed either.
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (data: Buffer): void => {
        for (const ch of data.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            stdin.off('data', onData);
            resolve(value);
            return;
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            reject(interruptedError('interrupted'));
            return;
          }
          value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

/** `--input name=value` (repeatable) into an object; a missing `=` is a usage error. */
export function keyValues(option: string, values: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of Array.isArray(values) ? values : []) {
    const text = String(item);
    const cut = text.indexOf('=');
    if (cut <= 0) throw usageError(`${option} ${text}: expected NAME=VALUE`);
    out[text.slice(0, cut)] = text.slice(cut + 1);
  }
  return out;
}

/** commander's collector for repeatable options. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
