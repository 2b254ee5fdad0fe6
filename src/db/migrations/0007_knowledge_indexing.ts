/**
 * Knowledge indexing (issue 12): the stage timestamps `indexing-status` reports, the document's
 * source text and process rule, full-text search on segments (a generated tsvector with a GIN
 * index), and one segment per (document, position) so a re-index can never duplicate segments.
 */
export const revision = '0007';
export const down_revision = '0006';
export const description = 'knowledge indexing: stage timestamps, process rules, segment tsvector';

export const up = `
ALTER TABLE documents
  ADD COLUMN parsing_completed_at timestamptz,
  ADD COLUMN cleaning_completed_at timestamptz,
  ADD COLUMN splitting_completed_at timestamptz,
  ADD COLUMN paused_at timestamptz,
  ADD COLUMN process_rule jsonb,
  ADD COLUMN source_text text;
CREATE INDEX documents_batch_idx ON documents (dataset_id, batch);

ALTER TABLE document_segments
  ADD COLUMN content_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED;
CREATE INDEX document_segments_tsv_idx ON document_segments USING gin (content_tsv);
CREATE UNIQUE INDEX document_segments_position_key ON document_segments (document_id, position);
`;

export const down = `
DROP INDEX IF EXISTS document_segments_position_key;
DROP INDEX IF EXISTS document_segments_tsv_idx;
ALTER TABLE document_segments DROP COLUMN IF EXISTS content_tsv;
DROP INDEX IF EXISTS documents_batch_idx;
ALTER TABLE documents
  DROP COLUMN IF EXISTS parsing_completed_at,
  DROP COLUMN IF EXISTS cleaning_completed_at,
  DROP COLUMN IF EXISTS splitting_completed_at,
  DROP COLUMN IF EXISTS paused_at,
  DROP COLUMN IF EXISTS process_rule,
  DROP COLUMN IF EXISTS source_text;
`;
