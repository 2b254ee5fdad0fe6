import type pg from 'pg';
import { inTransaction } from '../db/pooled-transaction.js';
import { isDifyctlError } from '../errors/index.js';
import type { ModelRuntime } from '../model-runtime/types.js';
import { ModelRuntimeError } from '../model-runtime/types.js';
import { cleanText } from './clean.js';
import { extractKeywords } from './keywords.js';
import { extractFileText, extractText } from './parse.js';
import { AUTOMATIC_RULES, type ProcessRule } from './rules.js';
import { splitText } from './split.js';
import { touchVectors } from './stores/vector-changes.js';
import type { VectorStore } from './vector-store.js';

/** Texts per embedding request (Dify's EMBEDDING_BATCH_SIZE is similar). */
export const EMBED_BATCH = 32;

export interface IndexingDeps {
  pool: pg.Pool;
  runtime: ModelRuntime;
  store: VectorStore;
  log?: (facts: Record<string, unknown>, message: string) => void;
  /** Reads an uploaded file by its storage key (documents created from a file). */
  loadFile?: (key: string) => Promise<Buffer>;
}

/** The embedding model of a dataset: what its segments are embedded with. */
export interface EmbeddingTarget {
  tenantId: string;
  datasetId: string;
  provider: string;
  model: string;
}

/** Embeds segments' content with the dataset's model and writes their vectors to the store (one request). */
export async function embedSegments(
  deps: Pick<IndexingDeps, 'runtime' | 'store'>,
  target: EmbeddingTarget,
  segments: ReadonlyArray<{ id: string; content: string }>,
): Promise<void> {
  const { embeddings } = await deps.runtime.embed({
    tenantId: target.tenantId,
    provider: target.provider,
    model: target.model,
    texts: segments.map((s) => s.content),
  });
  await deps.store.add(
    target.datasetId,
    segments.map((s, n) => ({ segmentId: s.id, vector: embeddings[n]! })),
  );
}

interface Source {
  id: string;
  tenant_id: string;
  dataset_id: string;
  name: string;
  source_text: string | null;
  data_source_info: { extension?: string } | null;
  process_rule: ProcessRule | null;
  file_key: string | null;
  file_name: string | null;
  indexing_technique: string | null;
  embedding_model: string | null;
  embedding_model_provider: string | null;
}

/** Provider failures a later attempt may get past (the queue retries them with backoff). */
const isTransient = (error: unknown): boolean =>
  error instanceof ModelRuntimeError
    ? ['connection', 'server_unavailable', 'rate_limit'].includes(error.kind ?? '')
    : typeof error === 'object' &&
      error !== null &&
      'code' in error &&
      ['ECONNREFUSED', 'ECONNRESET', '57P01'].includes(String((error as { code: unknown }).code));

/** A vector store's own failure (VECTOR.*: unreachable, refused, missing extension). */
const isStoreFault = (error: unknown): boolean => isDifyctlError(error) && error.code.startsWith('VECTOR.');

/**
 * Indexes one document (Dify's IndexingRunner): parse → clean → split → embed → write vectors, each
 * stage recorded on the row with its timestamp. The segments are replaced in one transaction, so a
 * retry or a re-index never leaves duplicates. A document deleted meanwhile ends the run quietly.
 * A failure is recorded as `error` with its message; a transient one is thrown again for a retry.
 */
export async function indexDocument(deps: IndexingDeps, documentId: string): Promise<'completed' | 'error' | 'gone'> {
  const { pool } = deps;
  const started = Date.now();
  const { rows } = await pool.query<Source>(
    `SELECT d.id, d.tenant_id, d.dataset_id, d.name, d.source_text, d.data_source_info, d.process_rule, ds.indexing_technique, ds.embedding_model, ds.embedding_model_provider,
            f.key AS file_key, f.name AS file_name
     FROM documents d JOIN datasets ds ON ds.id = d.dataset_id LEFT JOIN upload_files f ON f.id = d.file_id WHERE d.id = $1`,
    [documentId],
  );
  const doc = rows[0];
  if (!doc) return 'gone';
  const stage = async (status: string, stamp?: string) => {
    const r = await pool.query(
      `UPDATE documents SET indexing_status = $2${stamp ? `, ${stamp} = now()` : ''}, updated_at = now() WHERE id = $1`,
      [documentId, status],
    );
    if (!r.rowCount) throw Object.assign(new Error('document deleted while indexing'), { gone: true });
  };
  let replaced = false;
  try {
    await pool.query(
      `UPDATE documents SET indexing_status = 'parsing', processing_started_at = now(), parsing_completed_at = NULL, cleaning_completed_at = NULL,
         splitting_completed_at = NULL, completed_at = NULL, error = NULL, updated_at = now() WHERE id = $1`,
      [documentId],
    );
    let text: string;
    if (doc.file_key) {
      if (!deps.loadFile) throw new Error('This worker cannot read uploaded files.');
      text = await extractFileText(
        doc.file_name ?? `file.${doc.data_source_info?.extension ?? 'txt'}`,
        await deps.loadFile(doc.file_key),
      );
    } else text = extractText(`x.${doc.data_source_info?.extension ?? 'txt'}`, doc.source_text ?? '');
    await stage('cleaning', 'parsing_completed_at');
    const rule = doc.process_rule ?? { mode: 'automatic', rules: AUTOMATIC_RULES };
    const cleaned = cleanText(text, rule.rules.pre_processing_rules);
    await stage('splitting', 'cleaning_completed_at');
    const length = (s: string) => deps.runtime.countTokens(s);
    const chunks = splitText(cleaned, { mode: rule.mode, rule: rule.rules.segmentation, length });
    const segments = await replaceSegments(pool, doc, chunks, length);
    replaced = true;
    await stage('indexing', 'splitting_completed_at');
    if (doc.indexing_technique === 'high_quality') {
      if (!doc.embedding_model || !doc.embedding_model_provider) throw new Error('The dataset has no embedding model.');
      for (let i = 0; i < segments.length; i += EMBED_BATCH) {
        const batch = segments.slice(i, i + EMBED_BATCH);
        await embedSegments(
          deps,
          {
            tenantId: doc.tenant_id,
            datasetId: doc.dataset_id,
            provider: doc.embedding_model_provider,
            model: doc.embedding_model,
          },
          batch,
        );
        // Progress: a sweep takes a document whose row stops moving as abandoned (recovery.ts).
        await pool.query('UPDATE documents SET updated_at = now() WHERE id = $1', [documentId]);
      }
      // Once, after the last batch: the vectors of the segments replaceSegments removed (a store
      // outside the stack's database keeps its own copy; the default store's went with the rows).
      await deps.store.dropDeleted(doc.dataset_id, documentId);
    } else {
      await pool.query(
        `UPDATE document_segments SET status = 'completed', completed_at = now() WHERE document_id = $1`,
        [documentId],
      );
    }
    await pool.query(
      `UPDATE documents SET indexing_status = 'completed', completed_at = now(), indexing_latency = $2, updated_at = now() WHERE id = $1`,
      [documentId, (Date.now() - started) / 1000],
    );
    deps.log?.({ documentId, segments: segments.length, ms: Date.now() - started }, 'document indexed');
    return 'completed';
  } catch (error) {
    if ((error as { gone?: boolean }).gone || (error as { code?: string }).code === '23503') return 'gone';
    // The segments were replaced but a batch failed for good: the old segments' vectors go all the
    // same (search never returns them, their rows being gone, but they would take places until the
    // next index). Not when the store failed (it would again, after the client's retries) nor on a
    // transient failure (the retry's own last batch is followed by the cleanup).
    if (replaced && doc.indexing_technique === 'high_quality' && !isTransient(error) && !isStoreFault(error))
      await deps.store.dropDeleted(doc.dataset_id, documentId).catch(() => {});
    const message = error instanceof Error ? error.message : String(error);
    await pool.query(
      `UPDATE documents SET indexing_status = 'error', error = $2, stopped_at = now(), updated_at = now() WHERE id = $1`,
      [documentId, message],
    );
    deps.log?.({ documentId, err: message }, 'document indexing failed');
    if (isTransient(error)) throw error;
    return 'error';
  }
}

/** The document's segments, replaced at once: the old ones (and their vectors) go in the same transaction. */
async function replaceSegments(
  pool: pg.Pool,
  doc: Source,
  chunks: string[],
  length: (s: string) => number,
): Promise<Array<{ id: string; content: string }>> {
  return inTransaction(pool, async (client) => {
    // Recorded first: its dataset lock is then taken before any segment row lock (as store.add does).
    await touchVectors(client, doc.dataset_id, { documentIds: [doc.id] });
    await client.query('DELETE FROM document_segments WHERE document_id = $1', [doc.id]);
    const tokens = chunks.map(length);
    // Each segment's keywords (keyword search, and `keywords` in Dify's segment shape).
    const keywords = chunks.map((c) => JSON.stringify(extractKeywords(c)));
    const { rows } = await client.query<{ id: string; content: string }>(
      `INSERT INTO document_segments (tenant_id, dataset_id, document_id, position, content, word_count, tokens, keywords, status, indexing_at, index_node_id, index_node_hash)
       SELECT $1, $2, $3, t.n, t.content, char_length(t.content), t.tokens, t.keywords::jsonb, 'indexing', now(), gen_random_uuid()::text, md5(t.content)
       FROM unnest($4::text[], $5::int[], $6::text[]) WITH ORDINALITY AS t(content, tokens, keywords, n) ORDER BY t.n RETURNING id, content`,
      [doc.tenant_id, doc.dataset_id, doc.id, chunks, tokens, keywords],
    );
    await client.query(`UPDATE documents SET word_count = $2, tokens = $3 WHERE id = $1`, [
      doc.id,
      chunks.reduce((n, c) => n + c.length, 0),
      tokens.reduce((a, b) => a + b, 0),
    ]);
    return rows;
  });
}
