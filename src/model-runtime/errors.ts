/**
 * Provider failures → Dify's errors. Dify's model runtime turns each SDK error into an InvokeError
 * with a description `[<provider>] <Kind> Error, <detail>` (`_transform_invoke_error`), and the app
 * layer answers every InvokeError as `completion_request_error` (controllers/service_api/app/
 * completion.py). An unreachable host, a timeout and a dropped stream are connection errors; 5xx are
 * "Server Unavailable"; 401/403 say the credentials are wrong (never echoing them); 429 is "Rate
 * Limit"; other 4xx are "Bad Request"; anything unreadable (a malformed stream) is a plain error.
 */
import { type InvokeErrorKind, ModelRuntimeError } from './types.js';

const DESCRIPTION: Record<Exclude<InvokeErrorKind, 'authorization' | 'other'>, string> = {
  connection: 'Connection Error',
  server_unavailable: 'Server Unavailable Error',
  rate_limit: 'Rate Limit Error',
  bad_request: 'Bad Request Error',
};

const MAX_DETAIL = 500;

/**
 * The AI SDK's error classes mark their instances with a global symbol (what its `isInstance` checks):
 * reading the marks spares importing the SDK until a model is called.
 */
const marked = (error: unknown, name: string): boolean =>
  typeof error === 'object' &&
  error !== null &&
  (error as Record<symbol, unknown>)[Symbol.for(`vercel.ai.error.${name}`)] === true;

interface ApiCallErrorLike extends Error {
  statusCode?: number;
}

const clip = (text: string): string => (text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text);

const detailOf = (error: unknown): string => clip(error instanceof Error ? error.message : String(error));

export function invokeError(
  provider: string,
  kind: InvokeErrorKind,
  detail: string,
  extra: { cause?: unknown; upstreamStatus?: number } = {},
): ModelRuntimeError {
  const message =
    kind === 'authorization'
      ? `[${provider}] Incorrect model credentials provided, please check and try again. `
      : kind === 'other'
        ? `[${provider}] Error: ${detail}`
        : `[${provider}] ${DESCRIPTION[kind]}, ${detail}`;
  return new ModelRuntimeError('completion_request_error', message, { kind, ...extra });
}

function kindOfStatus(status: number): InvokeErrorKind {
  if (status === 401 || status === 403) return 'authorization';
  if (status === 429) return 'rate_limit';
  if (status >= 500) return 'server_unavailable';
  return 'bad_request';
}

/** A model server's HTTP failure (a status of 400 and above; a body it could not read with its 2xx). */
export function statusError(provider: string, status: number, detail: string, cause?: unknown): ModelRuntimeError {
  return invokeError(provider, kindOfStatus(status), clip(detail), {
    ...(cause === undefined ? {} : { cause }),
    upstreamStatus: status,
  });
}

/** An error thrown by the AI SDK (or a plugin) during a call, as Dify would report it. */
export function toModelError(provider: string, error: unknown): ModelRuntimeError {
  if (error instanceof ModelRuntimeError) return error;
  const inner = marked(error, 'AI_RetryError') ? (error as { lastError?: unknown }).lastError : error;
  if (marked(inner, 'AI_APICallError')) {
    const call = inner as ApiCallErrorLike;
    const status = call.statusCode;
    if (status === undefined) return invokeError(provider, 'connection', detailOf(call.cause ?? call), { cause: call });
    return statusError(provider, status, detailOf(call), call);
  }
  // A plugin may throw an error carrying the HTTP status it got (`status` or `statusCode`).
  const status =
    (inner as { status?: unknown; statusCode?: unknown } | null)?.status ??
    (inner as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400) return statusError(provider, status, detailOf(inner), inner);
  if (inner instanceof TypeError || isConnectionFailure(inner))
    return invokeError(provider, 'connection', detailOf(inner), { cause: inner });
  return invokeError(provider, 'other', detailOf(inner), { cause: inner });
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function isConnectionFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  }
  return false;
}
