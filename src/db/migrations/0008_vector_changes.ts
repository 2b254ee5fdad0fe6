/**
 * The default vector store's change log and binary vectors (issue 12). Every write that changes which
 * segments of a dataset are searchable appends to `vector_changes` (a segment, a whole document, or
 * the whole dataset when both ids are NULL); each api process applies only the changes newer than the
 * version it holds. `embedding_f32` is the segment's vector as float32 big-endian (float4send's
 * order), read as bytes (base64 on the wire): a cold load no longer parses real[] text. Existing vectors are backfilled,
 * and one dataset-wide change per dataset makes every process load once from the new column.
 */
export const revision = '0008';
export const down_revision = '0007';
export const description = 'vector change log and float32 vectors (bytea) for the default vector store';

export const up = `
CREATE TABLE vector_changes (
  version bigserial PRIMARY KEY,
  dataset_id uuid NOT NULL,
  document_id uuid,
  segment_id uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vector_changes_dataset_idx ON vector_changes (dataset_id, version);

ALTER TABLE document_segments ADD COLUMN embedding_f32 bytea;
ALTER TABLE document_segments ALTER COLUMN embedding_f32 SET STORAGE EXTERNAL;
UPDATE document_segments SET embedding_f32 =
  (SELECT string_agg(float4send(x), ''::bytea ORDER BY i) FROM unnest(embedding) WITH ORDINALITY AS t(x, i))
WHERE embedding IS NOT NULL;
INSERT INTO vector_changes (dataset_id) SELECT id FROM datasets;
`;

export const down = `
ALTER TABLE document_segments DROP COLUMN IF EXISTS embedding_f32;
DROP TABLE IF EXISTS vector_changes;
`;
