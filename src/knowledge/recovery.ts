import type pg from 'pg';

/** A document in an indexing stage with no progress for this long is taken as abandoned. @default 10 min */
export const DEFAULT_STALL_MS = 10 * 60_000;

/**
 * Documents whose indexing stopped half-way (a worker killed mid-document: its row stays in
 * parsing…indexing and no longer moves) are queued again. The indexer touches the row at every stage
 * and embedding batch, so only a run that is really gone looks stalled; the claim is one UPDATE, so
 * two workers sweeping at once queue a document once. Re-indexing replaces the segments: a retried
 * document never ends with duplicates. Returns the ids queued again.
 */
export async function requeueStalled(
  deps: { pool: pg.Pool; enqueue: (name: string, data: Record<string, unknown>) => Promise<unknown> },
  options: { stallMs?: number; task: string },
): Promise<string[]> {
  const { rows } = await deps.pool.query<{ id: string; dataset_id: string }>(
    `UPDATE documents SET indexing_status = 'waiting', updated_at = now()
     WHERE indexing_status IN ('parsing', 'cleaning', 'splitting', 'indexing') AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
     RETURNING id, dataset_id`,
    [options.stallMs ?? DEFAULT_STALL_MS],
  );
  for (const row of rows) await deps.enqueue(options.task, { dataset_id: row.dataset_id, document_ids: [row.id] });
  return rows.map((r) => r.id);
}
