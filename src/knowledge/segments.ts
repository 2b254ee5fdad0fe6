/**
 * Segments CRUD of the Knowledge API (Dify's service_api/dataset/segment.py and SegmentService):
 * segments added to, changed in or removed from an indexed document, their vectors written (or
 * dropped) at once through the configured store, never through a re-index of the whole document.
 */
import type pg from 'pg';
import { inTransaction } from '../db/pooled-transaction.js';
import type { DatasetRow } from './datasets.js';
import { type DocumentRow, getDocument } from './documents.js';
import { invalidParam, KnowledgeError } from './errors.js';
import { embedSegments } from './indexing.js';
import { extractKeywords } from './keywords.js';
import type { KnowledgeDeps } from './service.js';
import { touchVectors } from './stores/vector-changes.js';

const seconds = (d: Date | null): number | null => (d ? Math.floor(d.getTime() / 1000) : null);
const notFound = (message: string) => new KnowledgeError('not_found', message, 404);

/** The columns of Dify's segment_fields, as read from document_segments. */
const SEGMENT_COLUMNS =
  'id, position, document_id, content, answer, word_count, tokens, keywords, index_node_id, index_node_hash, hit_count, enabled, status, created_by, created_at, indexing_at, completed_at, error';

interface SegmentRecord extends Record<string, unknown> {
  id: string;
  enabled: boolean;
  keywords: unknown;
  created_at: Date;
  indexing_at: Date | null;
  completed_at: Date | null;
}

/** Dify's segment_fields. */
function segmentJson(r: SegmentRecord) {
  return {
    ...r,
    keywords: r.keywords ?? [],
    disabled_at: null,
    disabled_by: null,
    stopped_at: null,
    created_at: seconds(r.created_at),
    indexing_at: seconds(r.indexing_at),
    completed_at: seconds(r.completed_at),
  };
}

/** Dify's segment list of a document (`GET …/documents/<id>/segments`): status and keyword filters, pages. */
export async function listSegments(
  pool: pg.Pool,
  input: { documentId: string; page: number; limit: number; keyword?: string; status?: string },
) {
  const filter = input.keyword ? `%${input.keyword.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : '%';
  const where = `document_id = $1 AND content ILIKE $2 AND ($3::text IS NULL OR status = $3)`;
  const params = [input.documentId, filter, input.status ?? null];
  const [{ rows }, total] = await Promise.all([
    pool.query<SegmentRecord>(
      `SELECT ${SEGMENT_COLUMNS} FROM document_segments WHERE ${where} ORDER BY position LIMIT $4 OFFSET $5`,
      [...params, input.limit, (input.page - 1) * input.limit],
    ),
    pool.query<{ n: string }>(`SELECT count(*) AS n FROM document_segments WHERE ${where}`, params),
  ]);
  const count = Number(total.rows[0]?.n ?? 0);
  const data = rows.map(segmentJson);
  return {
    data,
    doc_form: 'text_model',
    total: count,
    has_more: input.page * input.limit < count,
    limit: input.limit,
    page: input.page,
  };
}

interface SegmentInput {
  content?: unknown;
  answer?: unknown;
  keywords?: unknown;
  enabled?: unknown;
}

/** Dify's segment_create_args_validate: non-empty content; keywords, when given, a list of strings. */
function checked(input: SegmentInput, where: string): { content: string; answer: string | null; keywords: string[] } {
  if (typeof input.content !== 'string' || !input.content.trim())
    throw invalidParam(`${where}content: Content is empty`);
  if (input.answer !== undefined && input.answer !== null && typeof input.answer !== 'string')
    throw invalidParam(`${where}answer: must be a string`);
  const keywords = input.keywords ?? null;
  if (keywords !== null && (!Array.isArray(keywords) || keywords.some((k) => typeof k !== 'string')))
    throw invalidParam(`${where}keywords: must be a list of strings`);
  return {
    content: input.content,
    answer: (input.answer as string | null | undefined) ?? null,
    keywords: (keywords as string[] | null) ?? extractKeywords(input.content),
  };
}

/** Embeds the segments and writes their vectors (high_quality); an economy dataset's are completed as they are. */
async function writeVectors(
  deps: KnowledgeDeps,
  dataset: DatasetRow,
  segments: Array<{ id: string; content: string }>,
) {
  if (!segments.length) return;
  const ids = segments.map((s) => s.id);
  if (dataset.indexing_technique !== 'high_quality' || !dataset.embedding_model || !dataset.embedding_model_provider) {
    await deps.pool.query(
      `UPDATE document_segments SET status = 'completed', completed_at = now(), updated_at = now() WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    await touchVectors(deps.pool, dataset.id, { segmentIds: ids });
    return;
  }
  try {
    await embedSegments(
      deps,
      {
        tenantId: dataset.tenant_id,
        datasetId: dataset.id,
        provider: dataset.embedding_model_provider,
        model: dataset.embedding_model,
      },
      segments,
    );
  } catch (error) {
    // As Dify's SegmentService: the segment stays, in `error` with the reason, out of retrieval.
    await deps.pool.query(
      `UPDATE document_segments SET status = 'error', error = $2, enabled = false, updated_at = now() WHERE id = ANY($1::uuid[])`,
      [ids, error instanceof Error ? error.message : String(error)],
    );
    throw error;
  }
}

async function refreshCounts(pool: pg.Pool, documentId: string): Promise<void> {
  await pool.query(
    `UPDATE documents d SET word_count = s.words, tokens = s.tokens, updated_at = now()
     FROM (SELECT coalesce(sum(word_count), 0) AS words, coalesce(sum(tokens), 0) AS tokens FROM document_segments WHERE document_id = $1) s
     WHERE d.id = $1`,
    [documentId],
  );
}

async function readSegments(pool: pg.Pool, ids: string[]) {
  const { rows } = await pool.query<SegmentRecord>(
    `SELECT ${SEGMENT_COLUMNS} FROM document_segments WHERE id = ANY($1::uuid[]) ORDER BY position`,
    [ids],
  );
  return rows.map(segmentJson);
}

/** A document new segments may join: indexed and enabled (Dify answers 404 otherwise). */
async function openDocument(pool: pg.Pool, dataset: DatasetRow, documentId: string): Promise<DocumentRow> {
  const doc = await getDocument(pool, dataset.id, documentId);
  if (doc.indexing_status !== 'completed') throw notFound('Document is not completed.');
  if (!doc.enabled) throw notFound('Document is disabled.');
  return doc;
}

/** `POST …/documents/<id>/segments` with `{segments: [{content, answer?, keywords?}]}`: appended, embedded, searchable. */
export async function createSegments(deps: KnowledgeDeps, dataset: DatasetRow, documentId: string, items: unknown) {
  const doc = await openDocument(deps.pool, dataset, documentId);
  if (!Array.isArray(items) || !items.length) throw invalidParam('segments: Segments is required');
  if (items.length > 100) throw invalidParam('segments: Exceeded maximum segments limit of 100.');
  const valid = items.map((item, n) =>
    checked(typeof item === 'object' && item !== null ? (item as SegmentInput) : {}, `segments[${n}].`),
  );
  const tokens = valid.map((s) => deps.runtime.countTokens(s.content));
  const { rows } = await deps.pool.query<{ id: string; content: string }>(
    `INSERT INTO document_segments (tenant_id, dataset_id, document_id, position, content, answer, word_count, tokens, keywords, status, indexing_at, index_node_id, index_node_hash)
     SELECT $1, $2, $3, (SELECT coalesce(max(position), 0) FROM document_segments WHERE document_id = $3) + t.n, t.content, t.answer, char_length(t.content), t.tokens,
            t.keywords::jsonb, 'indexing', now(), gen_random_uuid()::text, md5(t.content)
     FROM unnest($4::text[], $5::text[], $6::int[], $7::text[]) WITH ORDINALITY AS t(content, answer, tokens, keywords, n) ORDER BY t.n RETURNING id, content`,
    [
      dataset.tenant_id,
      dataset.id,
      doc.id,
      valid.map((s) => s.content),
      valid.map((s) => s.answer),
      tokens,
      valid.map((s) => JSON.stringify(s.keywords)),
    ],
  );
  await writeVectors(deps, dataset, rows);
  await refreshCounts(deps.pool, doc.id);
  return {
    data: await readSegments(
      deps.pool,
      rows.map((r) => r.id),
    ),
    doc_form: doc.doc_form,
  };
}

async function findSegment(pool: pg.Pool, documentId: string, segmentId: string): Promise<SegmentRecord> {
  const { rows } = await pool.query<SegmentRecord>(
    `SELECT ${SEGMENT_COLUMNS} FROM document_segments WHERE id = $1 AND document_id = $2`,
    [segmentId, documentId],
  );
  if (!rows[0]) throw notFound('Segment not found.');
  return rows[0];
}

/** `GET …/segments/<id>`. */
export async function getSegment(pool: pg.Pool, dataset: DatasetRow, documentId: string, segmentId: string) {
  const doc = await getDocument(pool, dataset.id, documentId);
  return { data: segmentJson(await findSegment(pool, doc.id, segmentId)), doc_form: doc.doc_form };
}

/**
 * `POST …/segments/<id>` with `{segment: {content?, answer?, keywords?, enabled?}}`: `enabled: false`
 * takes it out of retrieval at once; new content is embedded again (its vector replaced, same id).
 */
export async function updateSegment(
  deps: KnowledgeDeps,
  dataset: DatasetRow,
  documentId: string,
  segmentId: string,
  input: SegmentInput,
) {
  const doc = await getDocument(deps.pool, dataset.id, documentId);
  const current = await findSegment(deps.pool, doc.id, segmentId);
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean')
    throw invalidParam('segment.enabled: must be a boolean');
  const enabled = (input.enabled as boolean | undefined) ?? current.enabled;
  // Without new content, the answer and keywords given are checked against the segment's own content.
  const next = checked({ ...input, content: input.content ?? current.content }, 'segment.');
  const keywords = input.content === undefined && input.keywords === undefined ? null : next.keywords;
  const answer = input.answer === undefined ? (current.answer as string | null) : next.answer;
  const changed = next.content !== current.content;
  await deps.pool.query(
    `UPDATE document_segments SET content = $2, answer = $3, keywords = coalesce($4::jsonb, keywords), enabled = $5,
       word_count = char_length($2), tokens = $6, index_node_hash = md5($2), error = NULL,
       status = CASE WHEN $7 THEN 'indexing' ELSE status END, updated_at = now()
     WHERE id = $1`,
    [
      segmentId,
      next.content,
      answer,
      keywords === null ? null : JSON.stringify(keywords),
      enabled,
      deps.runtime.countTokens(next.content),
      changed,
    ],
  );
  // New content is embedded even while disabled, so that enabling it later finds the right vector.
  if (changed) await writeVectors(deps, dataset, [{ id: segmentId, content: next.content }]);
  else await touchVectors(deps.pool, dataset.id, { segmentIds: [segmentId] });
  await refreshCounts(deps.pool, doc.id);
  return { data: (await readSegments(deps.pool, [segmentId]))[0], doc_form: doc.doc_form };
}

/**
 * `DELETE …/segments/<id>`: the row and, on the default store, its vector go at once (recorded for
 * every api process); a pgvector or Weaviate store then drops that segment's vector by its node id
 * (`dropDeleted` with the node: no scan of the document).
 */
export async function deleteSegment(deps: KnowledgeDeps, dataset: DatasetRow, documentId: string, segmentId: string) {
  const doc = await getDocument(deps.pool, dataset.id, documentId);
  const segment = await findSegment(deps.pool, doc.id, segmentId);
  await inTransaction(deps.pool, async (client) => {
    await touchVectors(client, dataset.id, { segmentIds: [segmentId] });
    await client.query('DELETE FROM document_segments WHERE id = $1', [segmentId]);
  });
  // A store outside the stack's database keeps its own copy of the vector: it goes too, by its id.
  await deps.store.dropDeleted(dataset.id, doc.id, [(segment.index_node_id as string | null) ?? segmentId]);
  await refreshCounts(deps.pool, doc.id);
}
