import type pg from 'pg';

/** A segment's vector as the indexer writes it. */
export interface SegmentVector {
  segmentId: string;
  vector: number[];
}

export interface VectorHit {
  segmentId: string;
  /** Cosine similarity, -1…1 (1 = same direction), as Dify's vector stores score. */
  score: number;
}

/**
 * Where segment vectors live and how they are searched. The indexer writes through it, retrieval
 * reads through it, deleting a document or dataset goes through it: a `pgvector` or `weaviate` store
 * implements the same four calls.
 */
export interface VectorStore {
  readonly kind: string;
  add(datasetId: string, vectors: SegmentVector[]): Promise<void>;
  search(datasetId: string, query: number[], topK: number): Promise<VectorHit[]>;
  deleteDocument(documentId: string): Promise<void>;
  deleteDataset(datasetId: string): Promise<void>;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/**
 * Marks a dataset's searchable vectors as changed: every writer calls it (in its transaction when it
 * has one), and every api process's cached copy of that dataset's vectors is reloaded on its next
 * search. Anything that changes which segments are searchable must call it.
 */
export async function touchVectors(db: Pick<pg.Pool, 'query'>, datasetId: string): Promise<void> {
  await db.query('UPDATE datasets SET updated_at = clock_timestamp() WHERE id = $1', [datasetId]);
}

interface CachedVectors {
  version: string;
  ids: string[];
  vectors: Float32Array[];
  norms: Float32Array;
}

/** Vectors a process keeps in memory at most (about 150 MB of 384-dimension floats at 100k). */
export const MAX_CACHED_VECTORS = 100_000;
const caches = new WeakMap<pg.Pool, Map<string, CachedVectors>>();

/**
 * The default store: vectors in the stack's own PostgreSQL (`document_segments.embedding`, real[],
 * no extension needed), searched exactly in-process. Each api process keeps a dataset's vectors in
 * memory (Float32Array, norms precomputed) and reloads them when the dataset's version
 * (`datasets.updated_at`, bumped by touchVectors) moved, so every process answers from what the
 * worker last committed. The seam for an approximate index (usearch, HNSW) is `nearest`: it would
 * build its index from the same cached rows and answer from it instead of the exact scan.
 */
export class PostgresVectorStore implements VectorStore {
  readonly kind = 'postgres';
  private readonly cache: Map<string, CachedVectors>;

  constructor(private readonly pool: pg.Pool) {
    const cache = caches.get(pool) ?? new Map<string, CachedVectors>();
    caches.set(pool, cache);
    this.cache = cache;
  }

  async add(datasetId: string, vectors: SegmentVector[]): Promise<void> {
    if (!vectors.length) return;
    await this.pool.query(
      `UPDATE document_segments s SET embedding = v.embedding::real[], status = 'completed', completed_at = now(), updated_at = now()
       FROM unnest($2::uuid[], $3::text[]) AS v(id, embedding)
       WHERE s.id = v.id AND s.dataset_id = $1`,
      [datasetId, vectors.map((v) => v.segmentId), vectors.map((v) => `{${v.vector.join(',')}}`)],
    );
    await touchVectors(this.pool, datasetId);
  }

  private async load(datasetId: string): Promise<CachedVectors | undefined> {
    const { rows: versions } = await this.pool.query<{ version: string }>(
      'SELECT updated_at::text AS version FROM datasets WHERE id = $1',
      [datasetId],
    );
    const version = versions[0]?.version;
    if (version === undefined) return undefined;
    const hit = this.cache.get(datasetId);
    if (hit?.version === version) return hit;
    const { rows } = await this.pool.query<{ id: string; embedding: number[] }>(
      `SELECT s.id, s.embedding FROM document_segments s JOIN documents d ON d.id = s.document_id
       WHERE s.dataset_id = $1 AND s.enabled AND s.status = 'completed' AND s.embedding IS NOT NULL AND d.enabled AND NOT d.archived`,
      [datasetId],
    );
    const vectors = rows.map((r) => Float32Array.from(r.embedding));
    const norms = Float32Array.from(vectors, (v) => Math.sqrt(v.reduce((n, x) => n + x * x, 0)));
    const entry = { version, ids: rows.map((r) => r.id), vectors, norms };
    this.cache.delete(datasetId);
    const held = [...this.cache.values()].reduce((n, c) => n + c.ids.length, 0);
    if (held + rows.length > MAX_CACHED_VECTORS) this.cache.clear();
    if (rows.length <= MAX_CACHED_VECTORS) this.cache.set(datasetId, entry);
    return entry;
  }

  /** The exact scan: cosine of the query with every cached vector, best topK. */
  private nearest(entry: CachedVectors, query: number[], topK: number): VectorHit[] {
    const q = Float32Array.from(query);
    const qNorm = Math.sqrt(q.reduce((n, x) => n + x * x, 0));
    const hits: VectorHit[] = [];
    for (let i = 0; i < entry.vectors.length; i++) {
      const v = entry.vectors[i]!;
      if (v.length !== q.length || !qNorm || !entry.norms[i]) continue;
      let dot = 0;
      for (let j = 0; j < v.length; j++) dot += v[j]! * q[j]!;
      hits.push({ segmentId: entry.ids[i]!, score: dot / (qNorm * entry.norms[i]!) });
    }
    hits.sort((a, b) => b.score - a.score);
    return hits.slice(0, topK);
  }

  async search(datasetId: string, query: number[], topK: number): Promise<VectorHit[]> {
    const entry = await this.load(datasetId);
    return entry ? this.nearest(entry, query, topK) : [];
  }

  /** The vectors are columns of the segment rows: removing them removes the vectors. */
  async deleteDocument(documentId: string): Promise<void> {
    const { rows } = await this.pool.query<{ dataset_id: string }>(
      'UPDATE document_segments SET embedding = NULL WHERE document_id = $1 RETURNING dataset_id',
      [documentId],
    );
    for (const datasetId of new Set(rows.map((r) => r.dataset_id))) await touchVectors(this.pool, datasetId);
  }

  async deleteDataset(datasetId: string): Promise<void> {
    await this.pool.query('UPDATE document_segments SET embedding = NULL WHERE dataset_id = $1', [datasetId]);
    this.cache.delete(datasetId);
  }
}
