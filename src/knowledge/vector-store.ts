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
 * reads through it, deleting a segment, document or dataset goes through it: a `pgvector` or
 * `weaviate` store implements the same calls.
 */
export interface VectorStore {
  readonly kind: string;
  /**
   * Writes (upserts) the segments' vectors, nothing else: a re-index's stale vectors are not looked
   * for here but once per (re-)index, after its last batch (`dropDeleted`).
   */
  add(datasetId: string, vectors: SegmentVector[]): Promise<void>;
  search(datasetId: string, query: number[], topK: number): Promise<VectorHit[]>;
  deleteDocument(documentId: string): Promise<void>;
  /**
   * Drops a document's vectors whose segments no longer exist: after a (re-)index's last batch, or
   * after segments were deleted through the API. `nodes`, when the caller knows them, are the deleted
   * segments' vector ids (index_node_id, else the segment id): only those go, without reading the
   * document's other vectors; without them the whole document is reconciled with its segment rows.
   */
  dropDeleted(datasetId: string, documentId: string, nodes?: string[]): Promise<void>;
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
