export interface LogLine {
  service: string;
  /** When the line was written; undefined when the line carries no time we can read. */
  time?: Date;
  text: string;
  stream?: 'stdout' | 'stderr';
}

export interface ReadOptions {
  /** Only the last N lines of the source. */
  tail?: number;
  /** Only lines at or after this time. */
  since?: Date;
}

/** Where one service's logs live: a process log file, a container, … */
export interface LogSource {
  service: string;
  read(options: ReadOptions): Promise<LogLine[]>;
  /** Calls onLine for each new line until the signal aborts. */
  follow(onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void>;
}
