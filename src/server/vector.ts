import type pg from 'pg';
import type { Settings } from '../config/schema.js';
import { PgvectorStore, PostgresVectorStore, type VectorStore, WeaviateStore } from '../knowledge/index.js';

type VectorSettings = Pick<
  Settings,
  | 'VECTOR_STORE'
  | 'WEAVIATE_ENDPOINT'
  | 'WEAVIATE_API_KEY'
  | 'WEAVIATE_GRPC_ENDPOINT'
  | 'PGVECTOR_HOST'
  | 'PGVECTOR_PORT'
  | 'PGVECTOR_USER'
  | 'PGVECTOR_PASSWORD'
  | 'PGVECTOR_DATABASE'
  | 'PGVECTOR_MIN_CONNECTION'
  | 'PGVECTOR_MAX_CONNECTION'
>;

export interface VectorStoreInfo {
  kind: string;
  /** Whether its connection settings are present. */
  configured: boolean;
}

/** What createApp logs about the configured store. */
export function describeVectorStore(settings: VectorSettings): VectorStoreInfo {
  const configured =
    settings.VECTOR_STORE === 'weaviate'
      ? Boolean(settings.WEAVIATE_ENDPOINT)
      : settings.VECTOR_STORE === 'pgvector'
        ? Boolean(settings.PGVECTOR_HOST)
        : false;
  return { kind: settings.VECTOR_STORE, configured };
}

/** A process's vector store and how to release what it opened. */
export interface OpenVectorStore {
  store: VectorStore;
  close(): Promise<void>;
}

/**
 * The store VECTOR_STORE names, one per process: `pgvector` (its own pool on PGVECTOR_*; without
 * PGVECTOR_HOST, which the settings warn about, the default store); `weaviate` with WEAVIATE_ENDPOINT
 * (the official client, loaded on first use); anything else — `postgres`, `weaviate` without an
 * endpoint — is the default store in the stack's PostgreSQL (`pool`).
 */
export function openVectorStore(settings: VectorSettings, pool: pg.Pool): OpenVectorStore {
  if (settings.VECTOR_STORE === 'pgvector' && settings.PGVECTOR_HOST) {
    const store = new PgvectorStore(pool, {
      host: settings.PGVECTOR_HOST,
      port: settings.PGVECTOR_PORT,
      user: settings.PGVECTOR_USER,
      password: settings.PGVECTOR_PASSWORD,
      database: settings.PGVECTOR_DATABASE,
      minConnections: settings.PGVECTOR_MIN_CONNECTION,
      maxConnections: settings.PGVECTOR_MAX_CONNECTION,
    });
    return { store, close: () => store.close() };
  }
  if (settings.VECTOR_STORE === 'weaviate' && settings.WEAVIATE_ENDPOINT) {
    const store = new WeaviateStore(pool, {
      endpoint: settings.WEAVIATE_ENDPOINT,
      apiKey: settings.WEAVIATE_API_KEY,
      grpcEndpoint: settings.WEAVIATE_GRPC_ENDPOINT,
    });
    return { store, close: () => store.close() };
  }
  return { store: new PostgresVectorStore(pool), close: async () => {} };
}
