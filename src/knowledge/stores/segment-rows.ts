/**
 * What the external vector stores (pgvector, Weaviate) share: the segment rows stay in the stack's
 * database, so an `add` reads them there and marks them completed there, a re-index's stale vectors
 * are found from the document's current segments (once per re-index, `dropDeleted`), and a search
 * keeps only the hits whose segment and document are still enabled. Each store only reads and
 * writes its own vectors.
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
  return { byId, present: vectors.filter((v) => byId.has(v.segmentId)) };
}

/**
 * After the store wrote their vectors: the segments are completed, the dataset's vectors changed.
 * Answers the vector ids (nodes) of the segments deleted since `segmentsToAdd` read them (a
 * re-index or a segment delete in between, whose own cleanup may have run before this write): the
 * store drops those, so no vector outlives its segment, without re-reading the document.
 */
export async function markAdded(stack: pg.Pool, datasetId: string, added: SegmentsToAdd): Promise<string[]> {
  const { rows } = await stack.query<{ id: string }>(
    `UPDATE document_segments SET status = 'completed', completed_at = now(), updated_at = now() WHERE dataset_id = $1 AND id = ANY($2::uuid[])
     RETURNING id`,
    [datasetId, added.present.map((v) => v.segmentId)],
  );
  await touchVectors(stack, datasetId);
  const still = new Set(rows.map((r) => r.id));
  return added.present.filter((v) => !still.has(v.segmentId)).map((v) => added.byId.get(v.segmentId)!.node);
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
