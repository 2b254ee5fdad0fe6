import { randomInt } from 'node:crypto';
import type pg from 'pg';
import { archivedDocumentImmutable, documentNotFound, KnowledgeError } from './errors.js';
import type { ProcessRule } from './rules.js';

export interface DocumentRow {
  id: string;
  dataset_id: string;
  position: number;
  data_source_type: string;
  data_source_info: Record<string, unknown> | null;
  batch: string;
  name: string;
  created_from: string;
  created_by: string | null;
  created_at: Date;
  tokens: number;
  word_count: number;
  indexing_status: string;
  error: string | null;
  enabled: boolean;
  disabled_at: Date | null;
  disabled_by: string | null;
  archived: boolean;
  doc_form: string;
  doc_language: string | null;
  doc_metadata: unknown;
  processing_started_at: Date | null;
  parsing_completed_at: Date | null;
  cleaning_completed_at: Date | null;
  splitting_completed_at: Date | null;
  completed_at: Date | null;
  paused_at: Date | null;
  stopped_at: Date | null;
  hit_count?: string;
}

const seconds = (d: Date | null): number | null => (d ? Math.floor(d.getTime() / 1000) : null);
const INDEXING = ['parsing', 'cleaning', 'splitting', 'indexing'];

/** Dify's Document.display_status. */
function displayStatus(r: DocumentRow): string {
  if (r.indexing_status === 'waiting') return 'queuing';
  if (INDEXING.includes(r.indexing_status)) return 'indexing';
  if (r.indexing_status === 'paused') return 'paused';
  if (r.indexing_status === 'error') return 'error';
  if (r.archived) return 'archived';
  return r.enabled ? 'available' : 'disabled';
}

/** Dify's document_fields. */
export function documentJson(r: DocumentRow) {
  return {
    id: r.id,
    position: r.position,
    data_source_type: r.data_source_type,
    data_source_info: r.data_source_info,
    data_source_detail_dict: r.data_source_info,
    dataset_process_rule_id: null,
    name: r.name,
    created_from: r.created_from,
    created_by: r.created_by,
    created_at: seconds(r.created_at),
    tokens: r.tokens,
    indexing_status: r.indexing_status,
    error: r.error,
    enabled: r.enabled,
    disabled_at: seconds(r.disabled_at),
    disabled_by: r.disabled_by,
    archived: r.archived,
    display_status: displayStatus(r),
    word_count: r.word_count,
    hit_count: Number(r.hit_count ?? 0),
    doc_form: r.doc_form,
    doc_metadata: r.doc_metadata ?? [],
  };
}

/** Dify's batch id: a timestamp and six random digits (DocumentService). */
export function newBatch(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return stamp + String(randomInt(100000, 1000000));
}

export interface NewDocument {
  tenantId: string;
  datasetId: string;
  name: string;
  /** create-by-text: the text (parsed as `txt`, as Dify uploads it as a .txt file). */
  text?: string;
  /** create-by-file: the upload_files row the indexer reads and parses by its extension. */
  file?: { id: string; name: string };
  extension: string;
  processRule: ProcessRule;
  docForm: string;
  docLanguage: string;
  createdBy?: string | null;
  /** The batch it is created in (documents created together share one). @default a new batch */
  batch?: string;
}

export async function insertDocument(pool: pg.Pool, input: NewDocument): Promise<DocumentRow> {
  const { rows } = await pool.query<DocumentRow>(
    `INSERT INTO documents (tenant_id, dataset_id, position, data_source_type, data_source_info, batch, name, created_from, created_by, process_rule, source_text, doc_form, doc_language, file_id)
     VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM documents WHERE dataset_id = $2), 'upload_file', $3, $4, $5, 'api', $6, $7, $8, $9, $10, $11) RETURNING *`,
    [
      input.tenantId,
      input.datasetId,
      input.file ? { upload_file_id: input.file.id, extension: input.extension } : { extension: input.extension },
      input.batch ?? newBatch(),
      input.name,
      input.createdBy ?? null,
      input.processRule,
      input.text ?? null,
      input.docForm,
      input.docLanguage,
      input.file?.id ?? null,
    ],
  );
  return rows[0]!;
}

export async function listDocuments(
  pool: pg.Pool,
  input: { datasetId: string; page: number; limit: number; keyword?: string },
) {
  const filter = input.keyword ? `%${input.keyword.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : '%';
  const [{ rows }, total] = await Promise.all([
    pool.query<DocumentRow>(
      `SELECT d.*, (SELECT coalesce(sum(hit_count), 0) FROM document_segments s WHERE s.document_id = d.id) AS hit_count
       FROM documents d WHERE d.dataset_id = $1 AND d.name LIKE $2 ORDER BY d.created_at DESC, d.position DESC LIMIT $3 OFFSET $4`,
      [input.datasetId, filter, input.limit, (input.page - 1) * input.limit],
    ),
    pool.query<{ n: string }>('SELECT count(*) AS n FROM documents WHERE dataset_id = $1 AND name LIKE $2', [
      input.datasetId,
      filter,
    ]),
  ]);
  return {
    data: rows.map(documentJson),
    has_more: rows.length === input.limit,
    limit: input.limit,
    total: Number(total.rows[0]?.n ?? 0),
    page: input.page,
  };
}

export async function getDocument(pool: pg.Pool, datasetId: string, documentId: string): Promise<DocumentRow> {
  const { rows } = await pool.query<DocumentRow>('SELECT * FROM documents WHERE id = $1 AND dataset_id = $2', [
    documentId,
    datasetId,
  ]);
  if (!rows[0]) throw documentNotFound();
  return rows[0];
}

/** Deletes a document and its segments; an archived one is refused (403) as in Dify. */
export async function deleteDocumentRow(pool: pg.Pool, datasetId: string, documentId: string): Promise<void> {
  const doc = await getDocument(pool, datasetId, documentId);
  if (doc.archived) throw archivedDocumentImmutable();
  await pool.query('DELETE FROM documents WHERE id = $1', [documentId]);
}

/** `documents/<batch>/indexing-status`: Dify's document_status_fields per document of the batch. */
export async function batchStatus(pool: pg.Pool, datasetId: string, batch: string) {
  const { rows } = await pool.query<DocumentRow & { completed_segments: string; total_segments: string }>(
    `SELECT d.*, (SELECT count(*) FROM document_segments s WHERE s.document_id = d.id AND s.completed_at IS NOT NULL AND s.status <> 're_segment') AS completed_segments,
            (SELECT count(*) FROM document_segments s WHERE s.document_id = d.id AND s.status <> 're_segment') AS total_segments
     FROM documents d WHERE d.dataset_id = $1 AND d.batch = $2 ORDER BY d.position`,
    [datasetId, batch],
  );
  if (!rows.length) throw new KnowledgeError('not_found', 'Documents not found.', 404);
  return {
    data: rows.map((r) => ({
      id: r.id,
      indexing_status: r.indexing_status,
      processing_started_at: seconds(r.processing_started_at),
      parsing_completed_at: seconds(r.parsing_completed_at),
      cleaning_completed_at: seconds(r.cleaning_completed_at),
      splitting_completed_at: seconds(r.splitting_completed_at),
      completed_at: seconds(r.completed_at),
      paused_at: seconds(r.paused_at),
      error: r.error,
      stopped_at: seconds(r.stopped_at),
      completed_segments: Number(r.completed_segments),
      total_segments: Number(r.total_segments),
    })),
  };
}
