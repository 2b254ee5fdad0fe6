/**
 * What the knowledge acceptance test needs around a stack: the vector stores it runs on (selected
 * by the stack's env, VECTOR_STORE + settings, with a way to count a document's or a dataset's
 * vectors where that store keeps them), the text-embedding model, and Knowledge API calls with a
 * dataset key over HTTP.
 */
import pg from 'pg';
import { tableFor } from '../../src/knowledge/stores/pgvector-schema.js';
import type { EmbeddingGate } from '../helpers/embedding-gate.js';
import { startPgvector } from '../helpers/pglite-pgvector.js';
import type { Json, Stack } from './service-api-stack.js';

export const EMBEDDING_MODEL = { provider: 'openai_api_compatible', name: 'stand-in-embedding' };

export interface VectorBackend {
  /** Lines for the project's .env (VECTOR_STORE and its settings). */
  env: Record<string, string>;
  /** Vectors the store holds for a dataset, or for one of its documents. */
  vectors(stack: Stack, datasetId: string, documentId?: string): Promise<number>;
  stop(): Promise<void>;
}

export interface VectorStoreVariant {
  name: string;
  start(): Promise<VectorBackend>;
}

/** The default store: vectors in the stack's own PostgreSQL (`document_segments.embedding`). */
export const defaultStoreVariant: VectorStoreVariant = {
  name: 'the default vector store',
  start: async () => ({
    env: { VECTOR_STORE: 'postgres' },
    vectors: async (stack, datasetId, documentId) =>
      Number(
        (
          await stack.sql<{ n: string }>(
            `SELECT count(*) AS n FROM document_segments WHERE dataset_id = $1 AND ($2::uuid IS NULL OR document_id = $2) AND embedding IS NOT NULL`,
            [datasetId, documentId ?? null],
          )
        )[0]?.n,
      ),
    stop: async () => {},
  }),
};

/** VECTOR_STORE=pgvector on the real pgvector (PGlite over the wire protocol): Dify's embedding_<collection> tables. */
export const pgvectorVariant: VectorStoreVariant = {
  name: 'pgvector (PGlite)',
  start: async () => {
    const server = await startPgvector();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    return {
      env: server.env,
      vectors: async (_stack, datasetId, documentId) => {
        const table = tableFor(datasetId);
        const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
        if (!exists.rows[0]?.t) return 0;
        const { rows } = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${table} WHERE $1::text IS NULL OR meta->>'document_id' = $1`,
          [documentId ?? null],
        );
        return Number(rows[0]?.n);
      },
      stop: async () => {
        await client.end().catch(() => {});
        await server.stop();
      },
    };
  },
};

/** A text-embedding model of the workspace, its endpoint the gate in front of the stand-in. */
export async function configureEmbedding(stack: Stack, gate: EmbeddingGate): Promise<void> {
  await stack.console('POST', `/workspaces/current/model-providers/${EMBEDDING_MODEL.provider}/models`, {
    model: EMBEDDING_MODEL.name,
    model_type: 'text-embedding',
    credentials: { endpoint_url: gate.openaiBaseUrl, api_key: 'sk-stand-in-key-0001', context_size: '8192' },
  });
}

/** Knowledge API calls with a dataset key; throws on an unexpected status. */
export function knowledgeApi(stack: Stack, key: string) {
  const call = async (method: string, route: string, body?: unknown, expected = [200, 201, 204]): Promise<Json> => {
    const form = body instanceof FormData;
    const res = await fetch(`${stack.base}/v1${route}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined || form ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : form ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (!expected.includes(res.status)) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    return { status: res.status, ...(text ? (JSON.parse(text) as Json) : {}) };
  };
  return {
    call,
    /** create-by-file with a custom rule: one segment per blank-line-separated paragraph. */
    upload: (datasetId: string, name: string, type: string, content: Buffer) => {
      const form = new FormData();
      form.append(
        'data',
        JSON.stringify({
          indexing_technique: 'high_quality',
          process_rule: {
            mode: 'custom',
            rules: { pre_processing_rules: [], segmentation: { separator: '\n\n', max_tokens: 100 } },
          },
        }),
      );
      form.append('file', new Blob([content], { type }), name);
      return call('POST', `/datasets/${datasetId}/document/create-by-file`, form);
    },
    status: async (datasetId: string, batch: string) =>
      (await call('GET', `/datasets/${datasetId}/documents/${batch}/indexing-status`)).data[0] as Json,
    retrieve: async (datasetId: string, query: string, search_method: string, top_k = 3) =>
      (await call('POST', `/datasets/${datasetId}/retrieve`, { query, retrieval_model: { search_method, top_k } }))
        .records as Json[],
  };
}

/** The `data:` events of an SSE body, in order. */
export const sseEvents = (body: string): Json[] =>
  body
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => JSON.parse(frame.slice(6)) as Json);

/** Polls until `check` returns a value (no fixed sleeps): the e2e stacks' one poller. */
export { waitFor } from './service-api-stack.js';
