import type pg from 'pg';
import { datasetNameDuplicate, datasetNotFound, invalidParam } from './errors.js';

/** Dify's default retrieval model of a dataset (services/dataset_service default_retrieval_model). */
export const DEFAULT_RETRIEVAL_MODEL = {
  search_method: 'semantic_search',
  reranking_enable: false,
  reranking_model: { reranking_provider_name: '', reranking_model_name: '' },
  top_k: 4,
  score_threshold_enabled: false,
  score_threshold: null,
} as const;

export interface DatasetRow {
  id: string;
  tenant_id: string;
  name: string;
  description: string | null;
  provider: string;
  permission: string;
  data_source_type: string | null;
  indexing_technique: 'high_quality' | 'economy' | null;
  embedding_model: string | null;
  embedding_model_provider: string | null;
  retrieval_model: Record<string, unknown> | null;
  created_by: string | null;
  updated_by: string | null;
  created_at: Date;
  updated_at: Date;
  document_count?: string;
  word_count?: string;
}

const seconds = (d: Date | null): number | null => (d ? Math.floor(d.getTime() / 1000) : null);

/** Dify's dataset_detail_fields. */
export function datasetJson(r: DatasetRow) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    provider: r.provider,
    permission: r.permission,
    data_source_type: r.data_source_type,
    indexing_technique: r.indexing_technique,
    app_count: 0,
    document_count: Number(r.document_count ?? 0),
    word_count: Number(r.word_count ?? 0),
    created_by: r.created_by,
    created_at: seconds(r.created_at),
    updated_by: r.updated_by,
    updated_at: seconds(r.updated_at),
    embedding_model: r.embedding_model,
    embedding_model_provider: r.embedding_model_provider,
    embedding_available: r.indexing_technique === 'high_quality' ? Boolean(r.embedding_model) : true,
    retrieval_model_dict: r.retrieval_model ?? DEFAULT_RETRIEVAL_MODEL,
    tags: [],
    doc_form: null,
    external_knowledge_info: {
      external_knowledge_id: null,
      external_knowledge_api_id: null,
      external_knowledge_api_name: null,
      external_knowledge_api_endpoint: null,
    },
    external_retrieval_model: { top_k: 2, score_threshold: 0.0, score_threshold_enabled: null },
  };
}

const COLUMNS = `d.*, (SELECT count(*) FROM documents x WHERE x.dataset_id = d.id) AS document_count,
  (SELECT coalesce(sum(x.word_count), 0) FROM documents x WHERE x.dataset_id = d.id) AS word_count`;

export interface NewDataset {
  tenantId: string;
  name: string;
  description?: string | null;
  indexingTechnique?: 'high_quality' | 'economy' | null;
  permission?: string;
  embedding?: { provider: string; model: string };
  retrievalModel?: Record<string, unknown> | null;
  createdBy?: string | null;
}

export async function createDataset(pool: pg.Pool, input: NewDataset): Promise<DatasetRow> {
  const taken = await pool.query('SELECT 1 FROM datasets WHERE tenant_id = $1 AND name = $2', [
    input.tenantId,
    input.name,
  ]);
  if (taken.rowCount) throw datasetNameDuplicate();
  const { rows } = await pool.query<DatasetRow>(
    `INSERT INTO datasets (tenant_id, name, description, indexing_technique, permission, embedding_model, embedding_model_provider, retrieval_model, created_by, updated_by, data_source_type)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING *`,
    [
      input.tenantId,
      input.name,
      input.description ?? '',
      input.indexingTechnique ?? null,
      input.permission ?? 'only_me',
      input.embedding?.model ?? null,
      input.embedding?.provider ?? null,
      input.retrievalModel ?? null,
      input.createdBy ?? null,
      input.indexingTechnique ? 'upload_file' : null,
    ],
  );
  return { ...rows[0]!, document_count: '0', word_count: '0' };
}

export async function getDataset(pool: pg.Pool, tenantId: string, datasetId: string): Promise<DatasetRow> {
  const { rows } = await pool.query<DatasetRow>(
    `SELECT ${COLUMNS} FROM datasets d WHERE d.id = $1 AND d.tenant_id = $2`,
    [datasetId, tenantId],
  );
  if (!rows[0]) throw datasetNotFound();
  return rows[0];
}

export async function listDatasets(
  pool: pg.Pool,
  input: { tenantId: string; page: number; limit: number; keyword?: string },
) {
  if (input.limit < 1 || input.limit > 100) throw invalidParam('limit: must be between 1 and 100');
  const filter = input.keyword ? `%${input.keyword.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : '%';
  const [{ rows }, total] = await Promise.all([
    pool.query<DatasetRow>(
      `SELECT ${COLUMNS} FROM datasets d WHERE d.tenant_id = $1 AND d.name ILIKE $2 ORDER BY d.created_at DESC, d.id LIMIT $3 OFFSET $4`,
      [input.tenantId, filter, input.limit, (input.page - 1) * input.limit],
    ),
    pool.query<{ n: string }>('SELECT count(*) AS n FROM datasets WHERE tenant_id = $1 AND name ILIKE $2', [
      input.tenantId,
      filter,
    ]),
  ]);
  const count = Number(total.rows[0]?.n ?? 0);
  return {
    data: rows.map(datasetJson),
    has_more: input.page * input.limit < count,
    limit: input.limit,
    total: count,
    page: input.page,
  };
}

/** Removes the dataset's row at once (its documents and segments go with it by cascade). */
export async function deleteDataset(pool: pg.Pool, tenantId: string, datasetId: string): Promise<void> {
  const result = await pool.query('DELETE FROM datasets WHERE id = $1 AND tenant_id = $2', [datasetId, tenantId]);
  if (!result.rowCount) throw datasetNotFound();
}
