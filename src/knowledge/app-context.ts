import type pg from 'pg';
import type { ModelRuntime } from '../model-runtime/types.js';
import type { DatasetRow } from './datasets.js';
import { resolveRetrievalModel, retrieve, type ScoredSegment } from './retrieve.js';
import type { VectorStore } from './vector-store.js';

/** One entry of `metadata.retriever_resources`, as Dify's chat answers carry it. */
export interface RetrieverResource {
  position: number;
  dataset_id: string;
  dataset_name: string;
  document_id: string;
  document_name: string;
  data_source_type: string;
  segment_id: string;
  retriever_from: string;
  score: number;
  hit_count: number;
  word_count: number;
  segment_position: number;
  index_node_hash: string | null;
  content: string;
  created_at: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The enabled dataset ids of a model config's `dataset_configs.datasets.datasets[].dataset`. */
export function configuredDatasetIds(datasetConfigs: unknown): string[] {
  const outer =
    isRecord(datasetConfigs) && isRecord(datasetConfigs.datasets) ? datasetConfigs.datasets.datasets : undefined;
  if (!Array.isArray(outer)) return [];
  return outer.flatMap((item) => {
    const d = isRecord(item) && isRecord(item.dataset) ? item.dataset : undefined;
    return d && typeof d.id === 'string' && d.enabled !== false ? [d.id] : [];
  });
}

/**
 * What an app with knowledge retrieves before it answers (Dify's DatasetRetrieval, multiple mode):
 * every configured dataset of the workspace is searched with its own retrieval model (top_k and
 * score threshold from `dataset_configs` when set), the hits merged by score and cut to top_k. The
 * context is their contents, one per line; the resources are Dify's `retriever_resources`.
 */
export async function retrieveForApp(
  deps: { pool: pg.Pool; runtime: ModelRuntime; store: VectorStore },
  input: { tenantId: string; datasetConfigs: unknown; query: string; from?: string },
): Promise<{ context: string; resources: RetrieverResource[] }> {
  const ids = configuredDatasetIds(input.datasetConfigs);
  if (!ids.length || !input.query.trim()) return { context: '', resources: [] };
  const { rows: datasets } = await deps.pool.query<DatasetRow>(
    'SELECT * FROM datasets WHERE tenant_id = $1 AND id = ANY($2::uuid[])',
    [input.tenantId, ids],
  );
  const cfg = isRecord(input.datasetConfigs) ? input.datasetConfigs : {};
  const override: Record<string, unknown> = {};
  for (const k of ['top_k', 'score_threshold', 'score_threshold_enabled', 'weights'])
    if (cfg[k] !== undefined && cfg[k] !== null) override[k] = cfg[k];
  let topK = 4;
  const hits: Array<ScoredSegment & { dataset: DatasetRow }> = [];
  for (const dataset of datasets) {
    const model = resolveRetrievalModel(override, dataset);
    topK = model.top_k;
    for (const hit of await retrieve(deps, dataset, input.query.slice(0, 250), model)) hits.push({ ...hit, dataset });
  }
  hits.sort((a, b) => b.score - a.score);
  const kept = hits.slice(0, topK);
  if (!kept.length) return { context: '', resources: [] };
  const { rows } = await deps.pool.query<{
    id: string;
    document_id: string;
    content: string;
    position: number;
    word_count: number;
    hit_count: number;
    index_node_hash: string | null;
    created_at: Date;
    doc_name: string;
    doc_source: string;
  }>(
    `UPDATE document_segments s SET hit_count = s.hit_count + 1 FROM documents d WHERE d.id = s.document_id AND s.id = ANY($1::uuid[])
     RETURNING s.id, s.document_id, s.content, s.position, s.word_count, s.hit_count, s.index_node_hash, s.created_at, d.name AS doc_name, d.data_source_type AS doc_source`,
    [kept.map((h) => h.segmentId)],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const resources = kept
    .flatMap((h) => {
      const r = byId.get(h.segmentId);
      return r ? [{ h, r }] : [];
    })
    .map(
      ({ h, r }, i): RetrieverResource => ({
        position: i + 1,
        dataset_id: h.dataset.id,
        dataset_name: h.dataset.name,
        document_id: r.document_id,
        document_name: r.doc_name,
        data_source_type: r.doc_source,
        segment_id: r.id,
        retriever_from: input.from ?? 'api',
        score: h.score,
        hit_count: r.hit_count,
        word_count: r.word_count,
        segment_position: r.position,
        index_node_hash: r.index_node_hash,
        content: r.content,
        created_at: Math.floor(r.created_at.getTime() / 1000),
      }),
    );
  return { context: resources.map((r) => r.content).join('\n'), resources };
}
