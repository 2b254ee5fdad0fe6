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
