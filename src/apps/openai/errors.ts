/**
 * Dify's errors in OpenAI's shape for the OpenAI-compatible routes: `{"error": {"message", "type",
 * "param", "code"}}` with the status OpenAI's clients expect (their SDKs pick the exception class by
 * status: 400 BadRequest, 401 Authentication, 404 NotFound, 429 RateLimit, 5xx InternalServer).
 */
import type { InvokeErrorKind } from '../../model-runtime/types.js';

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** A Dify error as the apps domain or the model runtime reports it. */
export interface DifyError {
  code: string;
  message: string;
  status: number;
  /** The model runtime's failure kind (provider errors). */
  kind?: InvokeErrorKind | string;
}

/**
 * The status an OpenAI client gets for a Dify error. Dify answers every provider failure 400
 * `completion_request_error`; here a provider that is down, refuses our credentials or fails is a
 * 502, its rate limit a 429, and a request it refuses a 400; an app without a model is a 503.
 */
export function openAiStatus(error: DifyError): number {
  switch (error.code) {
    case 'rate_limit_error':
    case 'provider_quota_exceeded':
      return 429;
    case 'provider_not_initialize':
      return 503;
    case 'completion_request_error':
      if (error.kind === 'rate_limit') return 429;
      if (error.kind === 'bad_request' || error.kind === undefined) return 400;
      return 502;
    default:
      return error.status;
  }
}

/**
 * A failure once the provider has started answering is the provider's (a cut or malformed stream),
 * whatever the runtime guessed from it (the AI SDK reports an unreadable 200 answer as a bad request).
 */
export function afterAnswerStarted<E extends DifyError>(error: E): E {
  if (error.code !== 'completion_request_error' || (error.kind !== undefined && error.kind !== 'bad_request'))
    return error;
  return { ...error, kind: 'other' };
}

const CODES: Record<string, string> = {
  unauthorized: 'invalid_api_key',
  too_many_requests: 'rate_limit_exceeded',
  rate_limit_error: 'rate_limit_exceeded',
  invalid_json: 'invalid_json',
};

function typeOf(status: number, code: string): string {
  if (code === 'provider_quota_exceeded') return 'insufficient_quota';
  if (status === 429) return 'requests';
  if (status === 401) return 'invalid_request_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The OpenAI error body of a Dify error answered with `status`. */
export function openAiErrorBody(error: Pick<DifyError, 'code' | 'message'>, status: number): OpenAiErrorBody {
  const code = CODES[error.code] ?? error.code;
  return { error: { message: error.message, type: typeOf(status, error.code), param: null, code } };
}

/** A serialized Dify error body (`{code, message, status}`) as OpenAI's, or undefined if it is not one. */
export function reshapeErrorPayload(payload: string, status: number): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const body = parsed as Partial<DifyError> | null;
  if (!body || typeof body.code !== 'string' || typeof body.message !== 'string') return undefined;
  return JSON.stringify(openAiErrorBody({ code: body.code, message: body.message }, status));
}
