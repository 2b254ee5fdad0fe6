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
