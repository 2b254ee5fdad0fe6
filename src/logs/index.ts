import { grepLines, mergeByTime } from './merge.js';
import type { LogLine, LogSource } from './types.js';

export interface ReadLogsOptions {
  sources: LogSource[];
  /** Last N lines of each service, as compose's `-n`. */
  tail?: number;
  since?: Date;
  grep?: { pattern: RegExp; after?: number; before?: number };
}

/** The services' logs merged in time order, then filtered. */
export async function readLogs(options: ReadLogsOptions): Promise<LogLine[]> {
  const lines = await Promise.all(options.sources.map((s) => s.read({ tail: options.tail, since: options.since })));
  const merged = mergeByTime(lines);
  return options.grep ? grepLines(merged, options.grep) : merged;
}

/**
 * Follows every source until the signal aborts, passing lines through a streaming grep
 * (`-B` lines are kept per service; `-A` counts down after each match).
 */
export async function followLogs(options: {
  sources: LogSource[];
  grep?: ReadLogsOptions['grep'];
  onLine: (line: LogLine) => void;
  signal: AbortSignal;
}): Promise<void> {
  const before = new Map<string, LogLine[]>();
  const after = new Map<string, number>();
  const filter = (line: LogLine) => {
    const grep = options.grep;
    if (!grep) return options.onLine(line);
    const kept = before.get(line.service) ?? [];
    if (grep.pattern.test(line.text)) {
      for (const l of kept) options.onLine(l);
      before.set(line.service, []);
      after.set(line.service, grep.after ?? 0);
      options.onLine(line);
      return;
    }
    const remaining = after.get(line.service) ?? 0;
    if (remaining > 0) {
      after.set(line.service, remaining - 1);
      options.onLine(line);
      return;
    }
    if (grep.before) before.set(line.service, [...kept, line].slice(-grep.before));
  };
  await Promise.all(options.sources.map((s) => s.follow(filter, options.signal)));
}

export { logSources, LOG_SERVICES } from './sources.js';
export type { LogLine, LogSource } from './types.js';
