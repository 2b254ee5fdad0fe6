/**
 * The console client's failures as DifyctlErrors: nothing answers (with the command that starts
 * the server), no session, and the server's own refusals (Dify's `{code, message, status}`).
 */
import { type DifyctlError, errorFactory } from '../errors/index.js';

/** CONSOLE.REFUSED: the server answered with an error (a refusal, a failed answer or import). */
export const consoleRefused = errorFactory('CONSOLE.REFUSED');
/** CONSOLE.APP_NOT_FOUND: no app has the id or name. */
export const appNotFound = errorFactory('CONSOLE.APP_NOT_FOUND');
/** CONSOLE.APP_AMBIGUOUS: several apps have the name. */
export const appAmbiguous = errorFactory('CONSOLE.APP_AMBIGUOUS');
const consoleUnreachable = errorFactory('CONSOLE.UNREACHABLE');
const consoleNotLoggedIn = errorFactory('CONSOLE.NOT_LOGGED_IN');

/** Dify's JSON error body. */
export interface ServerError {
  code?: string;
  message?: string;
  status?: number;
}

/** What to do about the server's codes a terminal user meets most. */
const HINTS: Record<string, string> = {
  already_setup: 'The first admin exists: sign in with `difyctl login`.',
  email_or_password_mismatch: 'Check the email and password (`difyctl login`).',
  max_keys_exceeded: 'Remove one with `difyctl keys rm APP KEY_ID` (`difyctl keys list APP` shows them).',
  provider_not_initialize: "Add the model's provider: `difyctl providers add PROVIDER …`.",
  too_many_requests: 'Wait and retry (the server sent Retry-After).',
  schema_not_migrated: 'Run `difyctl migrate`.',
};

export function unreachable(url: string, cause: unknown): DifyctlError {
  return consoleUnreachable(`no API server answers at ${url}`, {
    hint: 'Start the stack: `difyctl up -d` (`difyctl ps` shows the api and its address).',
    details: { url },
    cause,
  });
}

export function notLoggedIn(
  why: string,
  hint = 'Run `difyctl login` (or `difyctl setup` on a fresh database).',
): DifyctlError {
  return consoleNotLoggedIn('not signed in to the console API', { why, hint });
}

/** A refusal of `what` (`POST /console/api/apps`) with the server's body. */
export function refused(what: string, status: number, body: ServerError): DifyctlError {
  const code = body.code ?? `http_${status}`;
  return consoleRefused(`${what}: ${body.message ?? `HTTP ${status}`} (${code}, HTTP ${status})`, {
    hint: HINTS[code],
    details: { status, code, message: body.message },
  });
}

/** A body that is not Dify's error JSON (a proxy's page, an empty body): its first characters. */
export function asServerError(text: string): ServerError {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object') {
      // Dify's `{code, message, status}`; a failed DSL import answers `{status: "failed", error}`.
      const body = parsed as ServerError & { error?: unknown }; // fields read optionally
      return {
        code: body.code,
        message: body.message ?? (typeof body.error === 'string' ? body.error : undefined),
        status: typeof body.status === 'number' ? body.status : undefined,
      };
    }
  } catch {
    // not JSON
  }
  return { message: text.slice(0, 200) || undefined };
}
