import { composeError } from '../../../config/errors.js';

/**
 * Splits a compose string `command:` into argv the way a POSIX shell would (what compose does
 * with shlex): `postgres -c 'max_connections=100'` → ['postgres', '-c', 'max_connections=100'].
 * Quotes group, backslash escapes outside single quotes; no expansion happens.
 */
export function shellSplit(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] ?? '';
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < command.length && '$`"\\\n'.includes(command[i + 1] ?? '')) word += command[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < command.length) {
      const next = command[++i];
      if (next !== '\n') word += next;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote)
    throw composeError(`unterminated ${quote} quote in command: ${command}`, {
      hint: "Close the quote in the service's `command:`.",
    });
  if (inWord) words.push(word);
  return words;
}

/** A compose command or entrypoint as argv: lists as they are, strings split like a shell. */
export function toArgv(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : shellSplit(value);
}
