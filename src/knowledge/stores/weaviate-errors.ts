import { weaviateAuthRefused, weaviateUnreachable } from '../errors.js';

interface Where {
  /** WEAVIATE_ENDPOINT's origin (no credentials). */
  origin: string;
  /** host:port of the gRPC API. */
  grpc: string;
  /** Whether WEAVIATE_API_KEY is set. */
  keySet: boolean;
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: unknown;
  cause?: { code?: string; message?: string };
}

const SYSTEM_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
};

/**
 * The client's faults that a user fixes in the settings, as VECTOR.WEAVIATE_* errors naming the
 * setting: HTTP 401/403 (WeaviateUnauthenticatedError, WeaviateInsufficientPermissionsError) →
 * WEAVIATE_API_KEY; a gRPC UNAUTHENTICATED → WEAVIATE_GRPC_ENDPOINT and WEAVIATE_API_KEY; a refused,
 * unresolvable or silent REST endpoint → WEAVIATE_ENDPOINT; a gRPC port that does not answer →
 * WEAVIATE_GRPC_ENDPOINT. Anything else is returned unchanged.
 */
export function weaviateFault(error: unknown, where: Where): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const e = error as ErrorLike; // read by name and fields: the client's classes are loaded lazily
  const message = e.message ?? '';
  if (e.name === 'WeaviateUnauthenticatedError') return weaviateAuthRefused(where.origin, 401, where.keySet, error);
  // A gRPC call's status, in the message of the client's WeaviateQueryError / WeaviateBatchError.
  if (/\bUNAUTHENTICATED\b/.test(message)) return weaviateAuthRefused(where.grpc, 401, where.keySet, error, true);
  if (e.name === 'WeaviateInsufficientPermissionsError' || /\bPERMISSION_DENIED\b/.test(message))
    return weaviateAuthRefused(where.origin, 403, where.keySet, error);
  const system = e.cause?.code && SYSTEM_REASONS[e.cause.code];
  if (system) return weaviateUnreachable(where.origin, system, false, error);
  if (e.name === 'WeaviateRequestTimeoutError') return weaviateUnreachable(where.origin, 'timed out', false, error);
  if (e.name === 'WeaviateGRPCUnavailableError' || /\bUNAVAILABLE\b/.test(message))
    return weaviateUnreachable(where.grpc, 'gRPC unavailable', true, error);
  return error;
}
