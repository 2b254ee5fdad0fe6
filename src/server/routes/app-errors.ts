import { AppRequestError } from '../../apps/errors.js';
import { HttpError } from '../http-error.js';

/** An apps-domain error as the HTTP error routes answer with (same code, message and status). */
export function toHttpError(error: unknown): unknown {
  return error instanceof AppRequestError ? new HttpError(error.status, error.code, error.message) : error;
}

/** Runs a call into the apps domain; its client errors leave as Dify's `{code, message, status}`. */
export async function appCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toHttpError(error);
  }
}
