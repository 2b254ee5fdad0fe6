/**
 * A knowledge stack on another vector store (VECTOR_STORE=… in `env`): the apps harness, a worker
 * on the `dataset` queue, a dataset API key and one high-quality dataset — what the pgvector and
 * Weaviate whole-stack tests start from.
 */
import type { Response as InjectResponse } from 'light-my-request';
import { silentLogger } from '../../src/server/logger.js';
import { type RunningWorker, startWorker } from '../../src/server/worker/run-worker.js';
import type { StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { json } from './apps-fixtures.js';
import { type Harness, startHarness } from './apps-harness.js';
import { serverEnv, settingsFor, type TestRedis } from './server-fixtures.js';

/** Three paragraphs on unrelated topics: each one's own text retrieves it first. */
export const PARAGRAPHS = [
  'Cats are small carnivorous mammals that people keep as pets. They sleep for most of the day.',
  'The lighthouse keeper climbs the spiral staircase every evening to light the lamp for passing ships.',
  'Sourdough bread rises slowly because wild yeast ferments the dough over many hours.',
];
/** One segment per paragraph. */
export const RULE = {
  mode: 'custom',
  rules: { pre_processing_rules: [], segmentation: { separator: '\\n\\n', max_tokens: 200, chunk_overlap: 0 } },
};

export interface StoreStack {
  h: Harness;
  worker: RunningWorker;
  datasetId: string;
  /** A Knowledge API call with the dataset key. */
  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object): Promise<InjectResponse>;
  /** The dataset's semantic retrieval records for `query`. */
  semantic(
    query: string,
    top_k?: number,
  ): Promise<Array<{ score: number; segment: { id: string; content: string; document_id: string } }>>;
  /** Deletes a document's first segment through the Knowledge API; the index node ids of the others, sorted. */
  deleteFirstSegment(documentId: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function startStoreStack(input: {
  pg: TestPostgres;
  redis: TestRedis;
  llm: StandIn;
  env: Record<string, string>;
  datasetName: string;
}): Promise<StoreStack> {
  const h = await startHarness({ pg: input.pg, redis: input.redis, llm: input.llm, env: input.env });
  const worker = await startWorker({
    server: settingsFor(serverEnv({ db: h.db, redis: input.redis, extra: input.env })),
    queues: ['dataset'],
    logger: silentLogger(),
    runtime: h.app.difyctx.modelRuntime,
    retry: { attempts: 2, backoffMs: 20 },
  });
  const key = json(
    await h.app.inject({ method: 'POST', url: '/console/api/datasets/api-keys', headers: h.auth }),
  ).token;
  const call: StoreStack['call'] = (method, url, payload) =>
    h.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
  const created = await call('POST', '/v1/datasets', {
    name: input.datasetName,
    indexing_technique: 'high_quality',
    embedding_model: 'text-embedding-3-small',
    embedding_model_provider: 'openai',
  });
  if (created.statusCode !== 200) throw new Error(`dataset not created: ${created.body}`);
  const datasetId = json(created).id as string;
  return {
    h,
    worker,
    datasetId,
    call,
    semantic: async (query, top_k = 3) =>
      json(
        await call('POST', `/v1/datasets/${datasetId}/retrieve`, {
          query,
          retrieval_model: { search_method: 'semantic_search', top_k },
        }),
      ).records,
    deleteFirstSegment: async (documentId) => {
      const base = `/v1/datasets/${datasetId}/documents/${documentId}/segments`;
      const listed = json(await call('GET', base)).data as Array<{ id: string; index_node_id: string }>;
      const res = await call('DELETE', `${base}/${listed[0]!.id}`);
      if (res.statusCode !== 204) throw new Error(`segment not deleted: ${res.statusCode} ${res.body}`);
      return listed
        .slice(1)
        .map((x) => x.index_node_id)
        .sort();
    },
    close: async () => {
      await worker.stop(5000);
      await h.close();
    },
  };
}
