import { DifyctlError } from '../errors/index.js';

/**
 * An error of the knowledge domain a client caused or must hear about, with Dify's service API code
 * and status (api/controllers/service_api/dataset/error.py and friends). Routes answer it as
 * `{code, message, status}`; the worker records its message on the document.
 */
export class KnowledgeError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'KnowledgeError';
    this.code = code;
    this.status = status;
  }
}

export const invalidParam = (message: string): KnowledgeError => new KnowledgeError('invalid_param', message);
export const datasetNotFound = (): KnowledgeError => new KnowledgeError('not_found', 'Dataset not found.', 404);
export const documentNotFound = (): KnowledgeError => new KnowledgeError('not_found', 'Document Not Exists.', 404);
export const datasetNameDuplicate = (): KnowledgeError =>
  new KnowledgeError(
    'dataset_name_duplicate',
    'The dataset name already exists. Please modify your dataset name.',
    409,
  );
export const noEmbeddingModel = (): KnowledgeError =>
  new KnowledgeError(
    'provider_not_initialize',
    'No Embedding Model available. Please configure a valid provider in the Settings -> Model Provider.',
  );
export const unsupportedFileType = (extension: string): KnowledgeError =>
  new KnowledgeError('unsupported_file_type', `File type not allowed: ${extension || '(none)'}.`, 415);
export const archivedDocumentImmutable = (): KnowledgeError =>
  new KnowledgeError('archived_document_immutable', 'The archived document is not editable.', 403);

/**
 * VECTOR_STORE=pgvector and the server at `where` has no pgvector extension (`absent`), or the
 * PGVECTOR_USER may not create it (`permission`). The message carries the fix: the worker records
 * only the message on the document.
 */
export const pgvectorMissing = (where: string, reason: 'absent' | 'permission', cause: unknown): DifyctlError =>
  new DifyctlError(
    'VECTOR.PGVECTOR_MISSING',
    reason === 'absent'
      ? `The pgvector extension is not installed on ${where} (VECTOR_STORE=pgvector). Install pgvector for that PostgreSQL server (e.g. the pgvector/pgvector image, or the postgresql-<version>-pgvector package), or use the default store (VECTOR_STORE=postgres).`
      : `PGVECTOR_USER may not create the pgvector extension on ${where} (VECTOR_STORE=pgvector). Have a superuser run CREATE EXTENSION vector in that database, or use the default store (VECTOR_STORE=postgres).`,
    {
      hint: 'Install pgvector on the PGVECTOR_HOST server, or set VECTOR_STORE=postgres.',
      cause,
      details: { where },
    },
  );

/**
 * VECTOR_STORE=weaviate and nothing answers at `where`: the REST endpoint (WEAVIATE_ENDPOINT) or,
 * `grpc`, its gRPC port (WEAVIATE_GRPC_ENDPOINT). The message carries the fix: the worker records
 * only the message on the document.
 */
export const weaviateUnreachable = (where: string, reason: string, grpc: boolean, cause: unknown): DifyctlError =>
  new DifyctlError(
    'VECTOR.WEAVIATE_UNREACHABLE',
    grpc
      ? `Weaviate's gRPC port ${where} does not answer (${reason}; VECTOR_STORE=weaviate). Publish Weaviate's gRPC port (50051) or set WEAVIATE_GRPC_ENDPOINT to where it is, or use the default store (VECTOR_STORE=postgres).`
      : `Weaviate at ${where} is unreachable (${reason}; VECTOR_STORE=weaviate). Start Weaviate or fix WEAVIATE_ENDPOINT, or use the default store (VECTOR_STORE=postgres).`,
    {
      hint: grpc ? 'Check WEAVIATE_GRPC_ENDPOINT.' : 'Check WEAVIATE_ENDPOINT, or set VECTOR_STORE=postgres.',
      cause,
      details: { where },
    },
  );

/**
 * VECTOR_STORE=weaviate and the server at `where` refuses WEAVIATE_API_KEY (or its absence); `grpc`:
 * its gRPC port did (UNAUTHENTICATED) — the key REST accepted on connecting, so the port may well
 * be another Weaviate's.
 */
export const weaviateAuthRefused = (
  where: string,
  status: number,
  keySet: boolean,
  cause: unknown,
  grpc = false,
): DifyctlError => {
  const who = grpc ? `Weaviate's gRPC port ${where}` : `Weaviate at ${where}`;
  const answer = grpc ? 'UNAUTHENTICATED' : `HTTP ${status}`;
  const fix = grpc
    ? ' Check that WEAVIATE_GRPC_ENDPOINT is the gRPC port of the Weaviate at WEAVIATE_ENDPOINT, and that the key is in its AUTHENTICATION_APIKEY_ALLOWED_KEYS.'
    : " Set WEAVIATE_API_KEY to a key in Weaviate's AUTHENTICATION_APIKEY_ALLOWED_KEYS.";
  return new DifyctlError(
    'VECTOR.WEAVIATE_AUTH',
    keySet
      ? `${who} refuses WEAVIATE_API_KEY (${answer}; VECTOR_STORE=weaviate).${fix}`
      : `${who} requires an API key (${answer}; VECTOR_STORE=weaviate) and WEAVIATE_API_KEY is not set. Set it to a key in Weaviate's AUTHENTICATION_APIKEY_ALLOWED_KEYS.`,
    {
      hint: grpc ? 'Check WEAVIATE_GRPC_ENDPOINT and WEAVIATE_API_KEY.' : 'Check WEAVIATE_API_KEY.',
      cause,
      details: { where, status },
    },
  );
};
