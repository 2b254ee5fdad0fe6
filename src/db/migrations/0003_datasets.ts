/**
 * Knowledge: datasets, documents and their segments. The embedding is a plain `real[]` so the schema
 * works on any PostgreSQL, with or without the pgvector extension.
 */
export const revision = '0003';
export const down_revision = '0002';
export const description = 'datasets, documents, document segments (embedding as real[])';

export const up = `
CREATE TABLE datasets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  provider text NOT NULL DEFAULT 'vendor',
  permission text NOT NULL DEFAULT 'only_me' CHECK (permission IN ('only_me', 'all_team_members', 'partial_members')),
  data_source_type text,
  indexing_technique text CHECK (indexing_technique IN ('high_quality', 'economy')),
  index_struct jsonb,
  embedding_model text,
  embedding_model_provider text,
  retrieval_model jsonb,
  created_by uuid REFERENCES accounts (id) ON DELETE SET NULL,
  updated_by uuid REFERENCES accounts (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX datasets_tenant_id_idx ON datasets (tenant_id);

CREATE TABLE app_dataset_joins (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  app_id uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  dataset_id uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (app_id, dataset_id)
);

CREATE TABLE documents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  dataset_id uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  position integer NOT NULL DEFAULT 0,
  data_source_type text NOT NULL DEFAULT 'upload_file',
  data_source_info jsonb,
  batch text NOT NULL DEFAULT '',
  name text NOT NULL,
  created_from text NOT NULL DEFAULT 'api',
  created_by uuid,
  file_id uuid REFERENCES upload_files (id) ON DELETE SET NULL,
  word_count integer NOT NULL DEFAULT 0,
  tokens integer NOT NULL DEFAULT 0,
  indexing_status text NOT NULL DEFAULT 'waiting'
    CHECK (indexing_status IN ('waiting', 'parsing', 'cleaning', 'splitting', 'indexing', 'paused', 'error', 'completed')),
  indexing_latency double precision,
  processing_started_at timestamptz,
  completed_at timestamptz,
  error text,
  stopped_at timestamptz,
  enabled boolean NOT NULL DEFAULT true,
  disabled_at timestamptz,
  disabled_by uuid,
  archived boolean NOT NULL DEFAULT false,
  doc_form text NOT NULL DEFAULT 'text_model',
  doc_language text,
  doc_metadata jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_dataset_id_idx ON documents (dataset_id, position);

CREATE TABLE document_segments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  dataset_id uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  position integer NOT NULL,
  content text NOT NULL,
  answer text,
  word_count integer NOT NULL DEFAULT 0,
  tokens integer NOT NULL DEFAULT 0,
  keywords jsonb,
  index_node_id text,
  index_node_hash text,
  embedding real[],
  hit_count integer NOT NULL DEFAULT 0,
  enabled boolean NOT NULL DEFAULT true,
  status text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'indexing', 'completed', 'error', 're_segment')),
  error text,
  created_by uuid,
  updated_by uuid,
  indexing_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX document_segments_document_id_idx ON document_segments (document_id, position);
CREATE INDEX document_segments_dataset_id_idx ON document_segments (dataset_id) WHERE enabled;
`;

export const down = `
DROP TABLE IF EXISTS document_segments;
DROP TABLE IF EXISTS documents;
DROP TABLE IF EXISTS app_dataset_joins;
DROP TABLE IF EXISTS datasets;
`;
