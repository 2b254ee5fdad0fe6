import type pg from 'pg';
import { inTransaction } from '../../db/pooled-transaction.js';
import type { SegmentVector, VectorHit, VectorStore } from '../vector-store.js';
import { DatasetVectors, LOAD_CHUNK, type VectorRow, yieldToLoop } from './dataset-vectors.js';
import { changesSince, currentVersion, touchVectors } from './vector-changes.js';

export { RERANK_FACTOR } from './dataset-vectors.js';

/** Vectors a process keeps in memory at most (at 100k × 384: 150 MB of float32 + 38 MB of int8 rows). */
export const MAX_CACHED_VECTORS = 100_000;
/** A delta naming more segments or documents than this is applied as a full reload instead. */
const MAX_DELTA = 20_000;

/** Counters of what this pool's caches read from PostgreSQL (tests, bench). */
export interface VectorLoadStats {
  fullLoads: number;
  deltaLoads: number;
  rowsRead: number;
}

interface PoolCache {
  datasets: Map<string, DatasetVectors>;
  /** A load under way per dataset: concurrent searches wait for it instead of reading the same rows. */
  loading: Map<string, Promise<DatasetVectors>>;
  stats: VectorLoadStats;
}
const caches = new WeakMap<pg.Pool, PoolCache>();

/** Big-endian float32 (float4send's order), as `embedding_f32` holds it. */
export function toF32Bytes(vector: ArrayLike<number>): Buffer {
  const buf = Buffer.from(Float32Array.from(vector).buffer);
  return buf.swap32();
}
/** The vector of `embedding_f32` bytes (`buf` is swapped in place: it is the caller's own copy). */
function fromF32Bytes(buf: Buffer): Float32Array {
  buf.swap32();
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

const SEARCHABLE = `s.enabled AND s.status = 'completed' AND s.embedding_f32 IS NOT NULL AND d.enabled AND NOT d.archived`;

/**
 * The default store: vectors in the stack's own PostgreSQL (`document_segments.embedding_f32`,
 * float32 bytes, no extension needed). Each api process keeps a dataset's vectors in memory
 * (DatasetVectors: an int8 copy scanned natively by usearch, the best candidates re-ranked exactly in
 * float32) and keeps it current
 * from the dataset's change log (`vector_changes`, written by touchVectors): each search first asks for
 * the changes above the version it holds, and re-reads only the segments and documents they name.
 */
export class PostgresVectorStore implements VectorStore {
  readonly kind = 'postgres';
  private readonly cache: PoolCache;

  constructor(private readonly pool: pg.Pool) {
    const cache = caches.get(pool) ?? {
      datasets: new Map(),
      loading: new Map(),
      stats: { fullLoads: 0, deltaLoads: 0, rowsRead: 0 },
    };
    caches.set(pool, cache);
    this.cache = cache;
  }

  /** What this pool's caches read so far. */
  get stats(): Readonly<VectorLoadStats> {
    return this.cache.stats;
  }

  /** The cached dataset (tests, bench): undefined before its first search. */
  cached(datasetId: string): DatasetVectors | undefined {
    return this.cache.datasets.get(datasetId);
  }

  /** Writes the vectors and records them as changed, in one transaction. */
  async add(datasetId: string, vectors: SegmentVector[]): Promise<void> {
    if (!vectors.length) return;
    const ids = vectors.map((v) => v.segmentId);
    await inTransaction(this.pool, async (client) => {
      await touchVectors(client, datasetId, { segmentIds: ids });
      await client.query(
        `UPDATE document_segments s SET embedding = v.embedding::real[], embedding_f32 = v.f32,
           status = 'completed', completed_at = now(), updated_at = now()
         FROM unnest($2::uuid[], $3::text[], $4::bytea[]) AS v(id, embedding, f32)
         WHERE s.id = v.id AND s.dataset_id = $1`,
        [datasetId, ids, vectors.map((v) => `{${v.vector.join(',')}}`), vectors.map((v) => toF32Bytes(v.vector))],
      );
    });
  }

  /** Searchable rows of the dataset, all or those of the named segments / documents, vectors as bytes. */
  private async rows(datasetId: string, only?: { segments: string[]; documents: string[] }): Promise<VectorRow[]> {
    const filter = only ? 'AND (s.id = ANY($2::uuid[]) OR s.document_id = ANY($3::uuid[]))' : '';
    // base64 text: node-pg decodes every result value as UTF-8, so its binary mode corrupts bytea.
    const { rows } = await this.pool.query<{ id: string; document_id: string; f32: string }>(
      `SELECT s.id, s.document_id, encode(s.embedding_f32, 'base64') AS f32
       FROM document_segments s JOIN documents d ON d.id = s.document_id
       WHERE s.dataset_id = $1 AND ${SEARCHABLE} ${filter}`,
      only ? [datasetId, only.segments, only.documents] : [datasetId],
    );
    this.cache.stats.rowsRead += rows.length;
    // Decoded in chunks, the event loop free in between (100 000 rows of 384 floats: ~150 MB).
    const out: VectorRow[] = [];
    for (const [i, r] of rows.entries()) {
      if (i && i % LOAD_CHUNK === 0) await yieldToLoop();
      out.push({ id: r.id, documentId: r.document_id, vector: fromF32Bytes(Buffer.from(r.f32, 'base64')) });
    }
    return out;
  }

  private async fullLoad(datasetId: string): Promise<DatasetVectors> {
    const version = await currentVersion(this.pool, datasetId);
    const rows = await this.rows(datasetId);
    this.cache.stats.fullLoads++;
    const entry = await DatasetVectors.load(version, rows);
    const { datasets } = this.cache;
    datasets.delete(datasetId);
    const held = [...datasets.values()].reduce((n, c) => n + c.size, 0);
    if (held + entry.size > MAX_CACHED_VECTORS) datasets.clear();
    if (entry.size <= MAX_CACHED_VECTORS) datasets.set(datasetId, entry);
    return entry;
  }

  private load(datasetId: string): Promise<DatasetVectors> {
    const { loading } = this.cache;
    let pending = loading.get(datasetId);
    if (!pending) {
      pending = this.sync(datasetId).finally(() => loading.delete(datasetId));
      loading.set(datasetId, pending);
    }
    return pending;
  }

  /** The dataset as of now: the cached copy with the changes since its version applied, or a full load. */
  private async sync(datasetId: string): Promise<DatasetVectors> {
    const entry = this.cache.datasets.get(datasetId);
    if (!entry) return this.fullLoad(datasetId);
    const changes = await changesSince(this.pool, datasetId, entry.version);
    if (!changes.length) return entry;
    const segments = new Set<string>();
    const documents = new Set<string>();
    for (const c of changes) {
      if (c.segment_id) segments.add(c.segment_id);
      else if (c.document_id) documents.add(c.document_id);
      else return this.fullLoad(datasetId);
    }
    if (segments.size + documents.size > MAX_DELTA) return this.fullLoad(datasetId);
    const rows = await this.rows(datasetId, { segments: [...segments], documents: [...documents] });
    this.cache.stats.deltaLoads++;
    for (const id of documents) entry.removeDocument(id);
    for (const id of segments) entry.remove(id);
    for (const row of rows) entry.upsert(row);
    entry.version = changes[changes.length - 1]!.version;
    return entry;
  }

  async search(datasetId: string, query: number[], topK: number): Promise<VectorHit[]> {
    return (await this.load(datasetId)).search(query, topK);
  }

  /** The vectors are columns of the segment rows: a deleted segment took its vector with it. */
  async dropDeleted(): Promise<void> {}

  /** The vectors are columns of the segment rows: clearing them removes the vectors. */
  async deleteDocument(documentId: string): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      // The segments name the dataset too: a caller that removed the document row first is still recorded.
      const { rows } = await client.query<{ dataset_id: string }>(
        `SELECT dataset_id FROM documents WHERE id = $1
         UNION SELECT dataset_id FROM document_segments WHERE document_id = $1`,
        [documentId],
      );
      for (const { dataset_id } of rows) await touchVectors(client, dataset_id, { documentIds: [documentId] });
      await client.query('UPDATE document_segments SET embedding = NULL, embedding_f32 = NULL WHERE document_id = $1', [
        documentId,
      ]);
    });
  }

  /** Clears the dataset's vectors; older change records are dropped, a dataset-wide one is left. */
  async deleteDataset(datasetId: string): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await touchVectors(client, datasetId);
      await client.query(
        `DELETE FROM vector_changes WHERE dataset_id = $1 AND version < (SELECT max(version) FROM vector_changes WHERE dataset_id = $1)`,
        [datasetId],
      );
      await client.query('UPDATE document_segments SET embedding = NULL, embedding_f32 = NULL WHERE dataset_id = $1', [
        datasetId,
      ]);
    });
  }
}
