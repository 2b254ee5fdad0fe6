/**
 * Values as text output may show them: control characters escaped (a value must not move the
 * cursor, clear the screen or recolour the terminal), and long values cut so the cost of printing
 * does not grow with a value's size. `--json` prints values exactly and never goes through here.
 */

/** Characters of a value shown before it is cut. */
export const DISPLAY_LIMIT = 200;

// C0 controls, DEL, C1 controls, and the Unicode format characters that reorder or break lines
// (bidi overrides and isolates, line/paragraph separators: "Trojan Source").
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

function escapeOne(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `\n`, `\r`, `\t`, `\e` (ESC), `\xNN` for other C0 controls and DEL, `\uNNNN` for C1 controls
 * and bidi/line-separator format characters. Backslashes stay as they are.
 * @param options.keepNewlines leave `\n` alone (multi-line messages)
 * @param options.keepTabs leave tabs alone (file excerpts, where they keep the caret aligned)
 */
export function escapeControl(text: string, options: { keepNewlines?: boolean; keepTabs?: boolean } = {}): string {
  return text.replace(UNPRINTABLE, (c) =>
    (c === '\n' && options.keepNewlines) || (c === '\t' && options.keepTabs) ? c : escapeOne(c),
  );
}

/** The first `limit` characters and how many UTF-8 bytes were left out (0 when nothing was). */
export function clip(text: string, limit = DISPLAY_LIMIT): { kept: string; cutBytes: number } {
  if (text.length <= limit) return { kept: text, cutBytes: 0 };
  let end = limit;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // never split a surrogate pair
  const kept = text.slice(0, end);
  return { kept, cutBytes: Buffer.byteLength(text, 'utf8') - Buffer.byteLength(kept, 'utf8') };
}

/** `abc… (10485560 bytes cut)`: the value clipped, then escaped. */
export function displayValue(text: string, limit = DISPLAY_LIMIT): string {
  const { kept, cutBytes } = clip(text, limit);
  const shown = escapeControl(kept);
  return cutBytes ? `${shown}… (${cutBytes} bytes cut)` : shown;
}

/** A message clipped the same way (for `KEY=value: problem` texts that embed a value). */
export function clipValue(text: string, limit = DISPLAY_LIMIT): string {
  const { kept, cutBytes } = clip(text, limit);
  return cutBytes ? `${kept}… (${cutBytes} bytes cut)` : kept;
}
