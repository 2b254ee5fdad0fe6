import { DifyctlError, type DifyctlErrorOptions } from './difyctl-error.js';
import { errorFactory } from './factory.js';

/** CLI.USAGE: the command's words are off (an option's value, an unknown name); nothing was done. */
export function usageError(message: string, hint?: string | DifyctlErrorOptions): DifyctlError {
  return new DifyctlError('CLI.USAGE', message, typeof hint === 'string' ? { hint } : hint);
}

/** CLI.INTERRUPTED: Ctrl-C (or another abort) ended the work; what it started has been undone. */
export function interruptedError(message: string): DifyctlError {
  return new DifyctlError('CLI.INTERRUPTED', message);
}

/** CLI.NO_TTY: a confirmation is needed and there is no terminal to ask on. */
export const noTtyError = errorFactory('CLI.NO_TTY');
