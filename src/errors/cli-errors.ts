import { DifyctlError } from './difyctl-error.js';

/** CLI.USAGE: the command's words are off (an option's value, an unknown name); nothing was done. */
export function usageError(message: string, hint?: string): DifyctlError {
  return new DifyctlError('CLI.USAGE', message, hint === undefined ? {} : { hint });
}

/** CLI.INTERRUPTED: Ctrl-C (or another abort) ended the work; what it started has been undone. */
export function interruptedError(message: string): DifyctlError {
  return new DifyctlError('CLI.INTERRUPTED', message);
}
