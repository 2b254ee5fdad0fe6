import type pg from 'pg';
import type { ModelRuntime } from '../model-runtime/types.js';
import { createDataset, deleteDataset, getDataset, type DatasetRow } from './datasets.js';
import { deleteDocumentRow, documentJson, getDocument, insertDocument, type DocumentRow } from './documents.js';
import { datasetNameDuplicate, documentNotFound, invalidParam, KnowledgeError, noEmbeddingModel } from './errors.js';
import { resolveProcessRule } from './rules.js';
import { resolveRetrievalModel, retrieve, type ScoredSegment } from './retrieve.js';
import { touchVectors } from './stores/vector-changes.js';
import type { VectorStore } from './vector-store.js';

/** The worker task that indexes documents (Dify's Celery task name, on the `dataset` queue). */
export const DOCUMENT_INDEXING_TASK = 'document_indexing_task';

export interface KnowledgeDeps {
  pool: pg.Pool;
  runtime: ModelRuntime;
  store: VectorStore;
  /** Puts a task on the `dataset` queue. */
  enqueue: (name: string, data: Record<string, unknown>) => Promise<unknown>;
}

const seconds = (d: Date | null): number | null => (d ? Math.floor(d.getTime() / 1000) : null);

/** A new dataset; `high_quality` needs an embedding model: the one named, else the workspace default. */
export async function newDataset(
  deps: KnowledgeDeps,
  input: {
    tenantId: string;
    name: string;
    description?: string | null;
    indexing_technique?: 'high_quality' | 'economy' | null;
    permission?: string;
    embedding_model?: string | null;
    embedding_model_provider?: string | null;
    retrieval_model?: Record<string, unknown> | null;
    createdBy?: string | null;
  },
) {
  let embedding: { provider: string; model: string } | undefined;
  if (input.indexing_technique === 'high_quality') {
    if (input.embedding_model && input.embedding_model_provider)
      embedding = { provider: input.embedding_model_provider, model: input.embedding_model };
    else {
      const fallback = await deps.runtime.defaultModel(input.tenantId, 'text-embedding');
      if (!fallback) throw noEmbeddingModel();
      embedding = fallback;
    }
  }
  if (input.retrieval_model) resolveRetrievalModel(input.retrieval_model, { retrieval_model: null });
  return createDataset(deps.pool, {
    tenantId: input.tenantId,
    name: input.name,
    description: input.description,
    indexingTechnique: input.indexing_technique,
    permission: input.permission,
    embedding,
    retrievalModel: input.retrieval_model,
    createdBy: input.createdBy,
  });
}

export interface DatasetPatch {
  name?: string;
  description?: string | null;
  permission?: string;
  indexing_technique?: 'high_quality' | 'economy';
  embedding_model?: string;
  embedding_model_provider?: string;
  retrieval_model?: Record<string, unknown> | null;
}

/**
 * `PATCH /datasets/<id>`: the fields given change; a new indexing technique or embedding model
 * re-indexes every document (their vectors would not match any more), as Dify's update_dataset does.
 */
export async function updateDataset(
  deps: KnowledgeDeps,
  tenantId: string,
  datasetId: string,
  patch: DatasetPatch,
): Promise<DatasetRow> {
  const current = await getDataset(deps.pool, tenantId, datasetId);
  if (patch.name !== undefined && patch.name !== current.name) {
    const taken = await deps.pool.query('SELECT 1 FROM datasets WHERE tenant_id = $1 AND name = $2 AND id <> $3', [
      tenantId,
      patch.name,
      datasetId,
    ]);
    if (taken.rowCount) throw datasetNameDuplicate();
  }
  if (patch.retrieval_model) resolveRetrievalModel(patch.retrieval_model, { retrieval_model: null });
  const technique = patch.indexing_technique ?? current.indexing_technique;
  let embedding = { provider: current.embedding_model_provider, model: current.embedding_model };
  if (patch.embedding_model && patch.embedding_model_provider)
    embedding = { provider: patch.embedding_model_provider, model: patch.embedding_model };
  else if (technique === 'high_quality' && !embedding.model) {
    const fallback = await deps.runtime.defaultModel(tenantId, 'text-embedding');
    if (!fallback) throw noEmbeddingModel();
    embedding = fallback;
  }
  const reindex =
    technique !== current.indexing_technique ||
    (technique === 'high_quality' &&
      (embedding.model !== current.embedding_model || embedding.provider !== current.embedding_model_provider));
  await deps.pool.query(
    `UPDATE datasets SET name = coalesce($3, name), description = CASE WHEN $4 THEN $5 ELSE description END, permission = coalesce($6, permission),
       indexing_technique = $7, embedding_model = $8, embedding_model_provider = $9, retrieval_model = CASE WHEN $10 THEN $11::jsonb ELSE retrieval_model END, updated_at = now()
     WHERE id = $1 AND tenant_id = $2`,
    [
      datasetId,
      tenantId,
      patch.name ?? null,
      patch.description !== undefined,
      patch.description ?? null,
      patch.permission ?? null,
      technique,
      embedding.model,
      embedding.provider,
      patch.retrieval_model !== undefined,
      patch.retrieval_model ?? null,
    ],
  );
  if (reindex) {
    await deps.store.deleteDataset(datasetId);
    const { rows } = await deps.pool.query<{ id: string }>(
      `UPDATE documents SET indexing_status = 'waiting', updated_at = now() WHERE dataset_id = $1 AND indexing_status IN ('completed', 'error') RETURNING id`,
      [datasetId],
    );
    for (const row of rows)
      await deps.enqueue(DOCUMENT_INDEXING_TASK, { dataset_id: datasetId, document_ids: [row.id] });
  }
  return getDataset(deps.pool, tenantId, datasetId);
}

/** Removes a dataset: its vectors first (another store keeps them elsewhere), then its rows. */
export async function removeDataset(deps: KnowledgeDeps, tenantId: string, datasetId: string): Promise<void> {
  await getDataset(deps.pool, tenantId, datasetId);
  // Dify refuses while an app's current config names the dataset (DatasetInUseError).
  const { rowCount } = await deps.pool.query(
    `SELECT 1 FROM apps a JOIN app_model_configs c ON c.id = a.app_model_config_id
     WHERE a.tenant_id = $1 AND a.status = 'normal' AND (coalesce(c.dataset_configs::text, '') || coalesce((c.configs -> 'dataset_configs')::text, '')) LIKE '%' || $2 || '%'
     LIMIT 1`,
    [tenantId, datasetId],
  );
  if (rowCount)
    throw new KnowledgeError(
      'dataset_in_use',
      'The dataset is being used by some apps. Please remove the dataset from the apps before deleting it.',
      409,
    );
  await deps.store.deleteDataset(datasetId);
  await deleteDataset(deps.pool, tenantId, datasetId);
}

/** create-by-text / create-by-file: stores the document as `waiting` and queues its indexing. */
export async function addTextDocument(
  deps: KnowledgeDeps,
  dataset: DatasetRow,
  input: {
    name: string;
    text?: string;
    file?: { id: string; name: string; extension: string };
    process_rule?: unknown;
    indexing_technique?: 'high_quality' | 'economy' | null;
    doc_form?: string;
    doc_language?: string;
    /** Documents created together (the console's several files) share a batch. */
    batch?: string;
    createdBy?: string;
  },
) {
  if (!dataset.indexing_technique && !input.indexing_technique) throw invalidParam('indexing_technique is required.');
  if (!dataset.indexing_technique && input.indexing_technique) {
    const embedding =
      input.indexing_technique === 'high_quality'
        ? await deps.runtime.defaultModel(dataset.tenant_id, 'text-embedding')
        : undefined;
    if (input.indexing_technique === 'high_quality' && !embedding) throw noEmbeddingModel();
    await deps.pool.query(
      `UPDATE datasets SET indexing_technique = $2, embedding_model = $3, embedding_model_provider = $4, data_source_type = 'upload_file' WHERE id = $1`,
      [dataset.id, input.indexing_technique, embedding?.model ?? null, embedding?.provider ?? null],
    );
  }
  const processRule = resolveProcessRule(input.process_rule);
  const doc = await insertDocument(deps.pool, {
    tenantId: dataset.tenant_id,
    datasetId: dataset.id,
    name: input.name,
    text: input.text,
    file: input.file,
    extension: input.file?.extension ?? 'txt',
    processRule,
    docForm: input.doc_form ?? 'text_model',
    docLanguage: input.doc_language ?? 'English',
    batch: input.batch,
    createdBy: input.createdBy,
  });
  await deps.enqueue(DOCUMENT_INDEXING_TASK, { dataset_id: dataset.id, document_ids: [doc.id] });
  return { document: documentJson(doc), batch: doc.batch };
}

/** A document update-by-text/-file may change: indexed, enabled, not archived (Dify's `Document is not available`). */
export async function updatableDocument(pool: pg.Pool, datasetId: string, documentId: string): Promise<DocumentRow> {
  const doc = await getDocument(pool, datasetId, documentId);
  if (doc.archived || !doc.enabled || doc.indexing_status !== 'completed')
    throw invalidParam('Document is not available');
  return doc;
}

/**
 * update-by-text / update-by-file: new text (or file) and/or name and/or process rule for an available
 * document; it goes back to `waiting` in its batch and is re-indexed (its segments replaced, never duplicated).
 */
export async function updateTextDocument(
  deps: KnowledgeDeps,
  dataset: DatasetRow,
  documentId: string,
  input: {
    name?: string | null;
    text?: string | null;
    file?: { id: string; name: string; extension: string };
    process_rule?: unknown;
  },
) {
  await updatableDocument(deps.pool, dataset.id, documentId);
  const processRule =
    input.process_rule === undefined || input.process_rule === null
      ? undefined
      : resolveProcessRule(input.process_rule);
  if (input.text !== undefined && input.text !== null && !input.name)
    throw invalidParam('Both text and name must be strings.');
  // A new file replaces the text (and a new text the file): the indexer reads whichever the row names.
  const source = input.file
    ? { text: null, fileId: input.file.id, info: { upload_file_id: input.file.id, extension: input.file.extension } }
    : input.text !== undefined && input.text !== null
      ? { text: input.text, fileId: null, info: { extension: 'txt' } }
      : undefined;
  const { rows } = await deps.pool.query<DocumentRow>(
    `UPDATE documents SET name = coalesce($3, name), source_text = CASE WHEN $4 THEN $5 ELSE source_text END,
       file_id = CASE WHEN $4 THEN $6::uuid ELSE file_id END,
       data_source_info = CASE WHEN $4 THEN $7::jsonb ELSE data_source_info END,
       process_rule = coalesce($8, process_rule), indexing_status = 'waiting', error = NULL, completed_at = NULL, updated_at = now()
     WHERE id = $1 AND dataset_id = $2 RETURNING *`,
    [
      documentId,
      dataset.id,
      input.name ?? input.file?.name ?? null,
      source !== undefined,
      source?.text ?? null,
      source?.fileId ?? null,
      source?.info ?? null,
      processRule ?? null,
    ],
  );
  await deps.enqueue(DOCUMENT_INDEXING_TASK, { dataset_id: dataset.id, document_ids: [documentId] });
  return { document: documentJson(rows[0]!), batch: rows[0]!.batch };
}

/** Dify's document status actions (`documents/status/<action>`). */
export const DOCUMENT_ACTIONS = ['enable', 'disable', 'archive', 'un_archive'] as const;

/**
 * Enables, disables, archives or un-archives documents of a dataset at once: a disabled or archived
 * document's segments leave retrieval at once (in every api process), and come back with it.
 */
export async function setDocumentsStatus(
  deps: KnowledgeDeps,
  datasetId: string,
  action: string,
  documentIds: string[],
): Promise<{ result: 'success' }> {
  if (!(DOCUMENT_ACTIONS as readonly string[]).includes(action))
    throw new KnowledgeError('invalid_action', 'Invalid action.');
  const { rows } = await deps.pool.query<{ id: string }>(
    'SELECT id FROM documents WHERE dataset_id = $1 AND id = ANY($2::uuid[])',
    [datasetId, documentIds],
  );
  if (rows.length !== new Set(documentIds).size) throw documentNotFound();
  const set = {
    enable: 'enabled = true, disabled_at = NULL, disabled_by = NULL',
    disable: 'enabled = false, disabled_at = now()',
    archive: 'archived = true',
    un_archive: 'archived = false',
  }[action as (typeof DOCUMENT_ACTIONS)[number]];
  await deps.pool.query(
    `UPDATE documents SET ${set}, updated_at = now() WHERE dataset_id = $1 AND id = ANY($2::uuid[])`,
    [datasetId, documentIds],
  );
  await touchVectors(deps.pool, datasetId, { documentIds: rows.map((r) => r.id) });
  return { result: 'success' };
}

export async function removeDocument(deps: KnowledgeDeps, datasetId: string, documentId: string): Promise<void> {
  await deps.store.deleteDocument(documentId);
  await deleteDocumentRow(deps.pool, datasetId, documentId);
}

interface SegmentRecord {
  id: string;
  position: number;
  document_id: string;
  content: string;
  answer: string | null;
  word_count: number;
  tokens: number;
  keywords: unknown;
  index_node_id: string | null;
  index_node_hash: string | null;
  hit_count: number;
  enabled: boolean;
  status: string;
  created_by: string | null;
  created_at: Date;
  indexing_at: Date | null;
  completed_at: Date | null;
  error: string | null;
  doc_name: string;
  doc_source: string;
}

/** Dify's hit-testing records for scored segments (segment with its document, score), hit counts bumped. */
export async function recordsOf(pool: pg.Pool, hits: ScoredSegment[]) {
  if (!hits.length) return [];
  const ids = hits.map((h) => h.segmentId);
  const { rows } = await pool.query<SegmentRecord>(
    `UPDATE document_segments s SET hit_count = s.hit_count + 1 FROM documents d WHERE d.id = s.document_id AND s.id = ANY($1::uuid[])
     RETURNING s.*, d.name AS doc_name, d.data_source_type AS doc_source`,
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return hits.flatMap((h) => {
    const r = byId.get(h.segmentId);
    if (!r) return [];
    const segment = {
      id: r.id,
      position: r.position,
      document_id: r.document_id,
      content: r.content,
      answer: r.answer,
      word_count: r.word_count,
      tokens: r.tokens,
      keywords: r.keywords ?? [],
      index_node_id: r.index_node_id,
      index_node_hash: r.index_node_hash,
      hit_count: r.hit_count,
      enabled: r.enabled,
      disabled_at: null,
      disabled_by: null,
      status: r.status,
      created_by: r.created_by,
      created_at: seconds(r.created_at),
      indexing_at: seconds(r.indexing_at),
      completed_at: seconds(r.completed_at),
      error: r.error,
      stopped_at: null,
      document: { id: r.document_id, data_source_type: r.doc_source, name: r.doc_name, doc_type: null },
    };
    return [{ segment, child_chunks: [], score: h.score, tsne_position: null, files: [] }];
  });
}

/** `POST /datasets/<id>/retrieve` (hit-testing): Dify's `{query: {content}, records}`. */
export async function hitTesting(
  deps: KnowledgeDeps,
  dataset: DatasetRow,
  input: { query: string; retrieval_model?: unknown },
) {
  const model = resolveRetrievalModel(input.retrieval_model, dataset);
  const hits = await retrieve(deps, dataset, input.query, model);
  return { query: { content: input.query }, records: await recordsOf(deps.pool, hits) };
}

export type { DocumentRow };
