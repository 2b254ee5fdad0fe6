/**
 * What the external vector stores (pgvector, Weaviate) share: the segment rows stay in the stack's
 * database, so an `add` reads them there and marks them completed there, a re-index's stale vectors
 * are found from the document's current segments, and a search keeps only the hits whose segment
 * and document are still enabled. Each store only reads and writes its own vectors.
 */
import type pg from 'pg';
import type { SegmentVector, VectorHit } from '../vector-store.js';
import { touchVectors } from './vector-changes.js';

/** A segment as a store writes it; `node` (index_node_id, else the segment id) is its vector's id. */
export interface SegmentRow {
  id: string;
  node: string;
  hash: string | null;
  document_id: string;
  content: string;
}

export interface SegmentsToAdd {
  byId: Map<string, SegmentRow>;
  /** The vectors whose segment still exists (a re-index may have replaced it meanwhile). */
  present: SegmentVector[];
  /** The documents of those segments (their replaced vectors go after the add). */
  documentIds: string[];
}

export async function segmentsToAdd(
  stack: pg.Pool,
  datasetId: string,
  vectors: SegmentVector[],
): Promise<SegmentsToAdd> {
  const { rows } = await stack.query<SegmentRow>(
    `SELECT id, coalesce(index_node_id, id::text) AS node, index_node_hash AS hash, document_id, content
     FROM document_segments WHERE dataset_id = $1 AND id = ANY($2::uuid[])`,
    [datasetId, vectors.map((v) => v.segmentId)],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return {
    byId,
    present: vectors.filter((v) => byId.has(v.segmentId)),
    documentIds: [...new Set(rows.map((r) => r.document_id))],
  };
}

/** After the store wrote their vectors: the segments are completed, the dataset's vectors changed. */
export async function markAdded(stack: pg.Pool, datasetId: string, present: SegmentVector[]): Promise<void> {
  await stack.query(
    `UPDATE document_segments SET status = 'completed', completed_at = now(), updated_at = now() WHERE dataset_id = $1 AND id = ANY($2::uuid[])`,
    [datasetId, present.map((v) => v.segmentId)],
  );
  await touchVectors(stack, datasetId);
}

/** The vector ids a document's segments have now: a store's other vectors of it are stale. */
export async function currentNodes(stack: pg.Pool, documentId: string): Promise<string[]> {
  const { rows } = await stack.query<{ node: string }>(
    'SELECT coalesce(index_node_id, id::text) AS node FROM document_segments WHERE document_id = $1',
    [documentId],
  );
  return rows.map((r) => r.node);
}

/**
 * The `topK` best hits whose segment and document are enabled. `nearest(limit)` is the store's own
 * scan; it over-fetches, and asks again for more (up to `max`) when disabled segments took places.
 */
export async function searchEnabled(
  stack: pg.Pool,
  datasetId: string,
  topK: number,
  max: number,
  nearest: (limit: number) => Promise<VectorHit[]>,
): Promise<VectorHit[]> {
  let fetch = Math.min(Math.max(topK * 4, topK + 20), max);
  for (;;) {
    const found = await nearest(fetch);
    if (!found.length) return [];
    const { rows } = await stack.query<{ id: string }>(
      `SELECT s.id FROM document_segments s JOIN documents d ON d.id = s.document_id
       WHERE s.id = ANY($1::uuid[]) AND s.dataset_id = $2 AND s.enabled AND s.status = 'completed' AND d.enabled AND NOT d.archived`,
      [found.map((h) => h.segmentId), datasetId],
    );
    const searchable = new Set(rows.map((r) => r.id));
    const hits = found.filter((h) => searchable.has(h.segmentId));
    if (hits.length >= topK || found.length < fetch || fetch >= max) return hits.slice(0, topK);
    fetch = Math.min(fetch * 4, max);
  }
}
