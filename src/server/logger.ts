import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger, type StreamEntry } from 'pino';
import pretty from 'pino-pretty';
import type { Settings } from '../config/schema.js';

export type { Logger } from 'pino';

const LEVELS: Record<Settings['LOG_LEVEL'], pino.Level> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  WARN: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
};

export interface LoggerOptions {
  settings: Pick<Settings, 'LOG_LEVEL' | 'LOG_FILE'>;
  /** Base fields on every line, e.g. `{ mode: 'api' }`. */
  base?: Record<string, unknown>;
  /** Where console lines go. @default process.stderr */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * The server's logger: JSON lines when the console is not a terminal (files, pipes, `up`'s log
 * files), pino-pretty on a TTY; with `LOG_FILE`, JSON lines are also appended to that file.
 * Secrets never reach it: the server logs no settings values.
 */
export function createLogger(options: LoggerOptions): Logger {
  const level = LEVELS[options.settings.LOG_LEVEL];
  const console = options.stream ?? process.stderr;
  const streams: StreamEntry[] = [
    {
      level,
      stream: console.isTTY ? pretty({ destination: console, colorize: !process.env.NO_COLOR, sync: true }) : console,
    },
  ];
  if (options.settings.LOG_FILE) {
    mkdirSync(path.dirname(path.resolve(options.settings.LOG_FILE)), { recursive: true });
    // Synchronous: a process killed by the arbiter (GUNICORN_TIMEOUT) still leaves its last lines.
    streams.push({ level, stream: pino.destination({ dest: options.settings.LOG_FILE, sync: true, mkdir: true }) });
  }
  return pino(
    {
      level,
      base: { pid: process.pid, ...options.base },
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '***' },
    },
    pino.multistream(streams),
  );
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
