import { SourceFile } from './source-file.js';
import { interpolate, InterpolationError, type Lookup } from './interpolate.js';

/**
 * `.env` parsing with docker compose's rules (compose-go's `dotenv` parser), not dotenv's:
 * `KEY=VALUE` or `KEY: VALUE`, an optional `export ` prefix, single quotes literal, double quotes
 * with escapes, unquoted values end at ` #` (a `#` with no space before it is kept), CRLF
 * tolerated, a bare `KEY` line inherits from the lookup, and `${VAR}` expanded in unquoted and
 * double-quoted values from the lookup first (the shell), then earlier lines.
 */

export interface DotenvEntry {
  key: string;
  value: string;
  /** 1-based line of the key. */
  line: number;
  /** 1-based column of the key. */
  column: number;
}

export class DotenvParseError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, options: { line: number; column: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DotenvParseError';
    this.line = options.line;
    this.column = options.column;
  }
}

/** compose-go's isSpace: whitespace other than the newline. */
const isSpace = (c: string | undefined) => c !== undefined && c !== '\n' && /\s/u.test(c);
const isKeyChar = (c: string) => /[\p{L}\p{N}_.\-[\]]/u.test(c);
const EXPORT = /^export\s+/;

/** The escapes compose-go v2 understands in double quotes; any other `\x` keeps its backslash. */
const ESCAPE = /\\(?:[abcfnrtv$"\\]|0\d{0,3})/g;
const SIMPLE: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '"': '"',
  '\\': '\\',
};

/** Shell escapes of a double-quoted value: `\$` becomes `$$` (a literal `$` for the interpolation), `\0NNN` is octal. */
function expandEscapes(raw: string): string {
  return raw.replace(ESCAPE, (match) => {
    const c = match.slice(1);
    if (c === '$') return '$$';
    if (c.startsWith('0')) {
      const digits = c.slice(1);
      return digits.length === 3 && /^[0-7]{3}$/.test(digits) && parseInt(digits, 8) < 256
        ? String.fromCharCode(parseInt(digits, 8))
        : match;
    }
    return SIMPLE[c] ?? match;
  });
}

export function parseDotenv(text: string, options: { lookup?: Lookup } = {}): DotenvEntry[] {
  // Offsets → line:column as every configuration file maps them.
  const cursor = new SourceFile('.env', text);
  const lookup = options.lookup ?? (() => undefined);
  const seen = new Map<string, string>();
  const entries: DotenvEntry[] = [];
  const resolve: Lookup = (name) => lookup(name) ?? seen.get(name);
  const fail = (message: string, offset: number, cause?: unknown) =>
    new DotenvParseError(message, { ...cursor.position(offset), cause });
  const expand = (value: string, valueOffset: number) => {
    try {
      return interpolate(value, resolve);
    } catch (error) {
      if (error instanceof InterpolationError) throw fail(error.message, valueOffset + error.offset, error);
      throw error;
    }
  };
  const push = (key: string, value: string, offset: number) => {
    seen.set(key, value);
    entries.push({ key, value, ...cursor.position(offset) });
  };

  let pos = 0;
  while (pos < text.length) {
    while (pos < text.length && /\s/u.test(text[pos] ?? '')) pos++;
    if (pos >= text.length) break;
    if (text[pos] === '#') {
      const eol = text.indexOf('\n', pos);
      pos = eol < 0 ? text.length : eol + 1;
      continue;
    }
    const keyOffset = pos;
    const exported = EXPORT.exec(text.slice(pos, pos + 64));
    if (exported) pos += exported[0].length;
    const nameStart = pos;
    let sep: string | undefined;
    for (; pos < text.length; pos++) {
      const c = text[pos] ?? '';
      if (c === '=' || c === ':' || c === '\n') {
        sep = c;
        break;
      }
      if (isSpace(c) || isKeyChar(c)) continue;
      const lineEnd = text.indexOf('\n', pos);
      const statement = text.slice(keyOffset, lineEnd < 0 ? undefined : lineEnd).replace(/\r$/, '');
      throw fail(`line ${cursor.position(pos).line}: unexpected character "${c}" in variable name "${statement}"`, pos);
    }
    // An empty key (`="value"`) is accepted, as compose-go does.
    const key = text.slice(nameStart, pos).trimEnd();
    if (sep === undefined || sep === '\n') {
      // A bare `KEY` line: take the value from the shell, or leave it unset.
      const inherited = lookup(key);
      if (inherited !== undefined) push(key, inherited, keyOffset);
      pos++;
      continue;
    }
    pos++;
    while (isSpace(text[pos])) pos++;
    const quote = text[pos];
    if (quote === '"' || quote === "'") {
      const open = pos;
      let chars = '';
      let escaped = false;
      let closed = -1;
      for (let i = open + 1; i < text.length; i++) {
        const c = text[i] ?? '';
        if (c !== quote) {
          if (!escaped && c === '\\') {
            escaped = true;
            continue;
          }
          if (escaped) chars += '\\';
          escaped = false;
          chars += c;
          continue;
        }
        if (escaped) {
          escaped = false;
          chars += c;
          continue;
        }
        closed = i;
        break;
      }
      if (closed < 0) {
        const eol = text.indexOf('\n', open);
        throw fail(`unterminated quoted value ${text.slice(open, eol < 0 ? undefined : eol).replace(/\r$/, '')}`, open);
      }
      const value = quote === '"' ? expand(expandEscapes(chars), open + 1) : chars;
      push(key, value, keyOffset);
      pos = closed + 1;
      continue;
    }
    const eol = text.indexOf('\n', pos);
    const lineValue = text.slice(pos, eol < 0 ? undefined : eol);
    const comment = lineValue.indexOf(' #');
    const raw = (comment < 0 ? lineValue : lineValue.slice(0, comment)).replace(/\s+$/u, '');
    push(key, expand(raw, pos), keyOffset);
    pos = eol < 0 ? text.length : eol + 1;
  }
  return entries;
}

/** Entries as a map, later lines winning, as compose does. */
export function dotenvToMap(entries: DotenvEntry[]): Map<string, DotenvEntry> {
  const map = new Map<string, DotenvEntry>();
  for (const entry of entries) map.set(entry.key, entry);
  return map;
}
