import type { Settings } from '../config/schema.js';

export interface VectorStoreInfo {
  kind: string;
  /** Whether its connection settings are present (a knowledge-base step would connect). */
  configured: boolean;
}

/**
 * The vector store step of createApp: the console and service API of this version do not query
 * embeddings, so it only records which store is configured (`document_segments.embedding` is a
 * plain real[] that works without pgvector).
 */
export function describeVectorStore(
  settings: Pick<Settings, 'VECTOR_STORE' | 'WEAVIATE_ENDPOINT' | 'PGVECTOR_HOST'>,
): VectorStoreInfo {
  const configured =
    settings.VECTOR_STORE === 'weaviate'
      ? Boolean(settings.WEAVIATE_ENDPOINT)
      : settings.VECTOR_STORE === 'pgvector'
        ? Boolean(settings.PGVECTOR_HOST)
        : false;
  return { kind: settings.VECTOR_STORE, configured };
}
