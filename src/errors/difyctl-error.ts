import { ERROR_CODES, type ErrorCode, type ExitCode } from './codes.js';

/** Where in a file an error points: 1-based line and column, plus the caret excerpt. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  /** Two or three lines of the file with a caret under the column. */
  excerpt?: string;
}

export interface DifyctlErrorOptions {
  /** Why it happened, when the message alone does not say. */
  why?: string;
  /** What to do about it: the variable to change, the command to run. */
  hint?: string;
  location?: SourceLocation;
  cause?: unknown;
  /** Overrides the exit code the code implies. */
  exitCode?: ExitCode;
  /** Extra structured facts for --json (never secrets). */
  details?: Record<string, unknown>;
}

/** The one error class for every failure a user can act on. Bugs are {@link BugError}. */
export class DifyctlError extends Error {
  readonly code: ErrorCode;
  readonly why?: string;
  readonly hint?: string;
  readonly location?: SourceLocation;
  readonly exitCode: ExitCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: DifyctlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DifyctlError';
    this.code = code;
    this.why = options.why;
    this.hint = options.hint;
    this.location = options.location;
    this.details = options.details;
    this.exitCode = options.exitCode ?? ERROR_CODES[code].exit;
  }

  toJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.why) json.why = this.why;
    if (this.hint) json.hint = this.hint;
    if (this.location) {
      const { file, line, column } = this.location;
      json.location = { file, line, column };
    }
    if (this.details) json.details = this.details;
    return json;
  }
}

/** An invariant inside difyctl broke: not the user's fault, reported with a request to file it. */
export class BugError extends Error {
  readonly code = 'INTERNAL.BUG' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BugError';
  }
}

export function isDifyctlError(error: unknown): error is DifyctlError {
  return error instanceof DifyctlError;
}
