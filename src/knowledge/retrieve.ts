import type pg from 'pg';
import type { ModelRuntime } from '../model-runtime/types.js';
import type { DatasetRow } from './datasets.js';
import { DEFAULT_RETRIEVAL_MODEL } from './datasets.js';
import { invalidParam } from './errors.js';
import { extractKeywords } from './keywords.js';
import type { VectorStore } from './vector-store.js';

export type SearchMethod = 'semantic_search' | 'full_text_search' | 'hybrid_search' | 'keyword_search';

/** Dify's method names; the short forms (`semantic`, `full_text`, `hybrid`, `keyword`) are accepted too. */
export function searchMethodOf(value: unknown): SearchMethod {
  const name = typeof value === 'string' ? value.replace(/_search$/, '') : 'semantic';
  if (['semantic', 'full_text', 'hybrid', 'keyword'].includes(name)) return `${name}_search` as SearchMethod;
  throw invalidParam(
    `retrieval_model.search_method: must be one of semantic_search, full_text_search, hybrid_search, keyword_search`,
  );
}

export interface RetrievalModel {
  search_method: SearchMethod;
  top_k: number;
  score_threshold_enabled: boolean;
  score_threshold: number | null;
  /** Hybrid: the semantic share (keyword share = 1 − this). @default 0.7 as Dify's weights */
  vector_weight: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A request's (or the dataset's) `retrieval_model`, completed with Dify's defaults. */
export function resolveRetrievalModel(input: unknown, dataset: Pick<DatasetRow, 'retrieval_model'>): RetrievalModel {
  const base = {
    ...DEFAULT_RETRIEVAL_MODEL,
    ...(dataset.retrieval_model ?? {}),
    ...(isRecord(input) ? input : {}),
  } as Record<string, unknown>;
  const topK = base.top_k ?? 4;
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > 100)
    throw invalidParam('retrieval_model.top_k: must be an integer from 1 to 100');
  const threshold = base.score_threshold ?? null;
  if (threshold !== null && typeof threshold !== 'number')
    throw invalidParam('retrieval_model.score_threshold: must be a number');
  const weights =
    isRecord(base.weights) && isRecord(base.weights.vector_setting)
      ? base.weights.vector_setting.vector_weight
      : undefined;
  return {
    search_method: searchMethodOf(base.search_method),
    top_k: topK,
    // A request that gives a threshold without the flag means it (the defaults' `false` does not count).
    score_threshold_enabled:
      base.score_threshold_enabled === true ||
      (isRecord(input) && input.score_threshold_enabled === undefined && typeof input.score_threshold === 'number'),
    score_threshold: threshold,
    vector_weight: typeof weights === 'number' && weights >= 0 && weights <= 1 ? weights : 0.7,
  };
}

export interface RetrievalDeps {
  pool: pg.Pool;
  runtime: ModelRuntime;
  store: VectorStore;
}

export interface ScoredSegment {
  segmentId: string;
  score: number;
}

/** Full text on the segments' tsvector: any of the query's words, ranked by ts_rank_cd scaled to 0…1. */
async function fullText(pool: pg.Pool, datasetId: string, query: string, topK: number): Promise<ScoredSegment[]> {
  const words = query.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
  if (!words.length) return [];
  const { rows } = await pool.query<{ id: string; score: number }>(
    `SELECT s.id, ts_rank_cd(s.content_tsv, q, 32) AS score
     FROM document_segments s JOIN documents d ON d.id = s.document_id, to_tsquery('simple', $2) q
     WHERE s.dataset_id = $1 AND s.enabled AND s.status = 'completed' AND d.enabled AND NOT d.archived AND s.content_tsv @@ q
     ORDER BY score DESC, s.position LIMIT $3`,
    [datasetId, [...new Set(words)].map((w) => `'${w}'`).join(' | '), topK],
  );
  return rows.map((r) => ({ segmentId: r.id, score: Number(r.score) }));
}

/**
 * Keyword search (Dify's keyword table): the query's keywords (extracted as the segments' were) are
 * looked up in each segment's `keywords`; segments are ranked by how many they hold (Dify's order),
 * the score being that count over the query's keywords (0…1; Dify gives none). Unlike full text,
 * a word that is in a segment but not among its top keywords does not match.
 */
async function keyword(pool: pg.Pool, datasetId: string, query: string, topK: number): Promise<ScoredSegment[]> {
  const words = extractKeywords(query);
  if (!words.length) return [];
  const { rows } = await pool.query<{ id: string; matched: number }>(
    `SELECT s.id, (SELECT count(*) FROM jsonb_array_elements_text(s.keywords) k WHERE k = ANY($2::text[]))::int AS matched
     FROM document_segments s JOIN documents d ON d.id = s.document_id
     WHERE s.dataset_id = $1 AND s.enabled AND s.status = 'completed' AND d.enabled AND NOT d.archived
       AND jsonb_typeof(s.keywords) = 'array' AND s.keywords ?| $2::text[]
     ORDER BY matched DESC, s.position LIMIT $3`,
    [datasetId, words, topK],
  );
  return rows.map((r) => ({ segmentId: r.id, score: r.matched / words.length }));
}

async function semantic(
  deps: RetrievalDeps,
  dataset: DatasetRow,
  query: string,
  topK: number,
): Promise<ScoredSegment[]> {
  if (dataset.indexing_technique !== 'high_quality' || !dataset.embedding_model || !dataset.embedding_model_provider)
    return fullText(deps.pool, dataset.id, query, topK);
  const { embeddings } = await deps.runtime.embed({
    tenantId: dataset.tenant_id,
    provider: dataset.embedding_model_provider,
    model: dataset.embedding_model,
    texts: [query],
  });
  return deps.store.search(dataset.id, embeddings[0]!, topK);
}

/**
 * The segments of a dataset that answer `query`, best first: semantic (vector store), full text
 * (tsvector: any word of the query), keyword (the segments' extracted keywords) or hybrid (Dify's
 * weighted score: vector_weight × semantic + (1 − vector_weight) × full text). Economy datasets have
 * no vectors: semantic searches their full text.
 */
export async function retrieve(
  deps: RetrievalDeps,
  dataset: DatasetRow,
  query: string,
  model: RetrievalModel,
): Promise<ScoredSegment[]> {
  let hits: ScoredSegment[];
  if (model.search_method === 'semantic_search') hits = await semantic(deps, dataset, query, model.top_k);
  else if (model.search_method === 'keyword_search') hits = await keyword(deps.pool, dataset.id, query, model.top_k);
  else if (model.search_method === 'full_text_search') hits = await fullText(deps.pool, dataset.id, query, model.top_k);
  else {
    const [vector, text] = await Promise.all([
      semantic(deps, dataset, query, model.top_k * 2),
      fullText(deps.pool, dataset.id, query, model.top_k * 2),
    ]);
    const scores = new Map<string, number>();
    for (const h of vector) scores.set(h.segmentId, model.vector_weight * h.score);
    for (const h of text) scores.set(h.segmentId, (scores.get(h.segmentId) ?? 0) + (1 - model.vector_weight) * h.score);
    hits = [...scores].map(([segmentId, score]) => ({ segmentId, score })).sort((a, b) => b.score - a.score);
  }
  if (model.score_threshold_enabled && model.score_threshold !== null)
    hits = hits.filter((h) => h.score >= model.score_threshold!);
  return hits.slice(0, model.top_k);
}
