import { ERROR_CODES, type ErrorCode, errorFactory, type DifyctlError } from '../errors/index.js';

/** SERVER.START_FAILED: an api or worker process failed to start for a reason with no code of its own. */
export const serverStartFailed = errorFactory('SERVER.START_FAILED');

/** The error a failed process reported over IPC: its own code when it is one of ours, SERVER.START_FAILED otherwise. */
export function reportedError(reported: { code?: string; message: string; hint?: string }): DifyctlError {
  const code = reported.code !== undefined && reported.code in ERROR_CODES ? (reported.code as ErrorCode) : undefined;
  return code === undefined
    ? serverStartFailed(reported.message, { hint: reported.hint })
    : errorFactory(code)(reported.message, { hint: reported.hint });
}
