import type pg from 'pg';

/** What changed: some segments, whole documents, or (neither given) the whole dataset. */
export interface VectorChange {
  documentIds?: string[];
  segmentIds?: string[];
}

/**
 * Records that a dataset's searchable vectors changed: every writer calls it (in its transaction when
 * it has one, so the change and its record commit together), and every api process applies the change
 * on its next search — re-reading only the named segments or documents, or the whole dataset when
 * nothing narrower is named. Anything that changes which segments are searchable (vectors written or
 * cleared, segments deleted, documents enabled, disabled, archived) must call it.
 *
 * Versions come from a sequence, and a reader asks for versions above the last it applied: for that to
 * miss nothing, a dataset's records must commit in version order. The dataset's advisory lock, taken
 * before the version is drawn and held until commit, makes them so (writers of one dataset queue for
 * the few milliseconds of their transaction).
 */
export async function touchVectors(
  db: Pick<pg.Pool, 'query'>,
  datasetId: string,
  change: VectorChange = {},
): Promise<void> {
  const documents = change.documentIds ?? [];
  const segments = change.segmentIds ?? [];
  const whole = !change.documentIds && !change.segmentIds;
  if (!whole && !documents.length && !segments.length) return;
  await db.query(
    `WITH held AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtext('difyctl.vector_changes'), hashtext($1::text)))
     INSERT INTO vector_changes (dataset_id, document_id, segment_id)
     SELECT $1::uuid, c.document_id, c.segment_id FROM held CROSS JOIN (
       SELECT NULL::uuid AS document_id, NULL::uuid AS segment_id WHERE $4::boolean
       UNION ALL SELECT d, NULL FROM unnest($2::uuid[]) AS d
       UNION ALL SELECT NULL, s FROM unnest($3::uuid[]) AS s) AS c`,
    [datasetId, documents, segments, whole],
  );
}

/** The changes above `version`, oldest first. */
export interface ChangeRow {
  version: string;
  document_id: string | null;
  segment_id: string | null;
}

export async function changesSince(db: Pick<pg.Pool, 'query'>, datasetId: string, version: string) {
  const { rows } = await db.query<ChangeRow>(
    `SELECT version::text, document_id::text, segment_id::text FROM vector_changes
     WHERE dataset_id = $1 AND version > $2::bigint ORDER BY version`,
    [datasetId, version],
  );
  return rows;
}

/** The dataset's current version (0 when nothing was ever recorded). */
export async function currentVersion(db: Pick<pg.Pool, 'query'>, datasetId: string): Promise<string> {
  const { rows } = await db.query<{ version: string }>(
    'SELECT coalesce(max(version), 0)::text AS version FROM vector_changes WHERE dataset_id = $1',
    [datasetId],
  );
  return rows[0]?.version ?? '0';
}

/** Change rows are kept this long; a process that did not search a dataset for longer reloads it once. */
export const CHANGE_RETENTION_MS = 60 * 60_000;

/**
 * Keeps the change log from growing forever. Per dataset, the rows older than `retentionMs` are
 * deleted except the newest of them, which becomes a dataset-wide record (both ids NULL): a process
 * whose version is below it gets it from changesSince and reloads the dataset fully instead of missing
 * the deleted changes, and a process at or above it had applied every deleted row already. One
 * statement: a concurrent reader sees the log before or after, never half-pruned. Rows of datasets
 * that no longer exist go entirely. Returns how many rows were deleted.
 */
export async function pruneVectorChanges(
  db: Pick<pg.Pool, 'query'>,
  retentionMs: number = CHANGE_RETENTION_MS,
): Promise<number> {
  const cutoff = 'now() - make_interval(secs => $1::double precision / 1000)';
  // `marked` is not read: PostgreSQL runs every data-modifying WITH to completion all the same.
  const pruned = await db.query<{ n: number }>(
    `WITH old AS (
       SELECT dataset_id, max(version) AS marker FROM vector_changes WHERE created_at < ${cutoff} GROUP BY dataset_id
     ), marked AS (
       UPDATE vector_changes c SET document_id = NULL, segment_id = NULL FROM old
       WHERE c.version = old.marker AND (c.document_id IS NOT NULL OR c.segment_id IS NOT NULL)
     ), deleted AS (
       DELETE FROM vector_changes c USING old WHERE c.dataset_id = old.dataset_id AND c.version < old.marker RETURNING 1
     )
     SELECT (SELECT count(*) FROM deleted)::int AS n`,
    [retentionMs],
  );
  const gone = await db.query(
    `DELETE FROM vector_changes c WHERE created_at < ${cutoff} AND NOT EXISTS (SELECT 1 FROM datasets d WHERE d.id = c.dataset_id)`,
    [retentionMs],
  );
  return (pruned.rows[0]?.n ?? 0) + (gone.rowCount ?? 0);
}
