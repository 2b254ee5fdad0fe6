import type { LogLine } from './types.js';

/**
 * Merges the lines of several services in time order. A line without a time keeps its place
 * after the previous line of its own source (a stack trace stays under its message).
 */
export function mergeByTime(sources: LogLine[][]): LogLine[] {
  const keyed: Array<{ line: LogLine; t: number; source: number; index: number }> = [];
  sources.forEach((lines, source) => {
    let last = 0;
    lines.forEach((line, index) => {
      if (line.time) last = line.time.getTime();
      keyed.push({ line, t: last, source, index });
    });
  });
  keyed.sort((a, b) => a.t - b.t || a.source - b.source || a.index - b.index);
  return keyed.map((k) => k.line);
}

/** The lines matching the pattern, with `after`/`before` lines of context, like `grep -A/-B`. */
export function grepLines(lines: LogLine[], options: { pattern: RegExp; after?: number; before?: number }): LogLine[] {
  const keep = new Set<number>();
  lines.forEach((line, i) => {
    if (!options.pattern.test(line.text)) return;
    for (let j = Math.max(0, i - (options.before ?? 0)); j <= Math.min(lines.length - 1, i + (options.after ?? 0)); j++)
      keep.add(j);
  });
  return lines.filter((_, i) => keep.has(i));
}
