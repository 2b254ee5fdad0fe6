/**
 * Knowledge (issue 12): datasets, documents and segments; parsing, cleaning and splitting as Dify
 * does; indexing through the model runtime's embeddings into a vector store; retrieval (semantic,
 * full text, hybrid). Used by the api and the worker alike: nothing here imports from `server/`.
 */
export { cleanText, type PreProcessingRule } from './clean.js';
export { DEFAULT_RETRIEVAL_MODEL, datasetJson, getDataset, listDatasets, type DatasetRow } from './datasets.js';
export { batchStatus, documentJson, getDocument, listDocuments } from './documents.js';
export { listSegments } from './segments.js';
export { KnowledgeError } from './errors.js';
export { indexDocument, type IndexingDeps } from './indexing.js';
export { extractText, TEXT_EXTENSIONS } from './parse.js';
export { AUTOMATIC_RULES, resolveProcessRule, type ProcessRule } from './rules.js';
export {
  resolveRetrievalModel,
  retrieve,
  searchMethodOf,
  type RetrievalModel,
  type ScoredSegment,
} from './retrieve.js';
export {
  addTextDocument,
  DOCUMENT_INDEXING_TASK,
  hitTesting,
  newDataset,
  recordsOf,
  removeDataset,
  removeDocument,
  updateDataset,
  updateTextDocument,
  type DatasetPatch,
  type KnowledgeDeps,
} from './service.js';
export { splitText, type SegmentationRule } from './split.js';
export { cosine, type VectorHit, type VectorStore } from './vector-store.js';
export { pruneVectorChanges, touchVectors } from './stores/vector-changes.js';
export { MAX_CACHED_VECTORS, PostgresVectorStore, RERANK_FACTOR } from './stores/postgres.js';
export { PgvectorStore, type PgvectorOptions } from './stores/pgvector.js';
export { WeaviateStore, type WeaviateOptions } from './stores/weaviate.js';
export { configuredDatasetIds, retrieveForApp, type RetrieverResource } from './app-context.js';
export { DEFAULT_STALL_MS, requeueStalled } from './recovery.js';
