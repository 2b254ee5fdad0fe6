import type { ErrorCode } from './codes.js';
import { DifyctlError, type DifyctlErrorOptions } from './difyctl-error.js';

/** Builds the errors of one code: the message says what happened, the options why and what to do. */
export type ErrorFactory = (message: string, options?: DifyctlErrorOptions) => DifyctlError;

/**
 * The one factory of `code`. Each code has exactly one, in its room's `errors.ts` (or here in
 * `errors/` for codes several rooms raise), so that every path that meets a fault raises it alike;
 * test/unit/error-factories.test.ts keeps `new DifyctlError(` out of every other file.
 */
export const errorFactory =
  (code: ErrorCode): ErrorFactory =>
  (message, options) =>
    new DifyctlError(code, message, options);
