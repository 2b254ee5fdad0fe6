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
 * The default store: vectors in the stack's own PostgreSQL (`document_segments.embedding`, real[],
 * no extension needed), searched exactly in-process. Every api process sees what the worker wrote
 * as soon as it commits. The seam for an approximate index (usearch, HNSW) is `search`: it would
 * keep an index per dataset, fed by the same rows, and answer from it instead of the scan below.
 */
export class PostgresVectorStore implements VectorStore {
  readonly kind = 'postgres';
  constructor(private readonly pool: pg.Pool) {}

  async add(datasetId: string, vectors: SegmentVector[]): Promise<void> {
    if (!vectors.length) return;
    await this.pool.query(
      `UPDATE document_segments s SET embedding = v.embedding::real[], status = 'completed', completed_at = now(), updated_at = now()
       FROM unnest($2::uuid[], $3::text[]) AS v(id, embedding)
       WHERE s.id = v.id AND s.dataset_id = $1`,
      [datasetId, vectors.map((v) => v.segmentId), vectors.map((v) => `{${v.vector.join(',')}}`)],
    );
  }

  async search(datasetId: string, query: number[], topK: number): Promise<VectorHit[]> {
    const { rows } = await this.pool.query<{ id: string; embedding: number[] }>(
      `SELECT s.id, s.embedding FROM document_segments s JOIN documents d ON d.id = s.document_id
       WHERE s.dataset_id = $1 AND s.enabled AND s.status = 'completed' AND s.embedding IS NOT NULL AND d.enabled AND NOT d.archived`,
      [datasetId],
    );
    const hits = rows.map((r) => ({ segmentId: r.id, score: cosine(query, r.embedding) }));
    hits.sort((a, b) => b.score - a.score);
    return hits.slice(0, topK);
  }

  /** The vectors are columns of the segment rows: removing them removes the vectors. */
  async deleteDocument(documentId: string): Promise<void> {
    await this.pool.query('UPDATE document_segments SET embedding = NULL WHERE document_id = $1', [documentId]);
  }

  async deleteDataset(datasetId: string): Promise<void> {
    await this.pool.query('UPDATE document_segments SET embedding = NULL WHERE dataset_id = $1', [datasetId]);
  }
}
