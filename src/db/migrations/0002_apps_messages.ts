/** Apps, their model configuration and API keys, end users, conversations, messages, feedback, files. */
export const revision = '0002';
export const down_revision = '0001';
export const description = 'apps, api tokens, end users, conversations, messages, feedbacks, upload files';

export const up = `
CREATE TABLE apps (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  mode text NOT NULL CHECK (mode IN ('chat', 'completion', 'agent-chat', 'workflow', 'advanced-chat')),
  icon_type text,
  icon text,
  icon_background text,
  app_model_config_id uuid,
  status text NOT NULL DEFAULT 'normal',
  enable_site boolean NOT NULL DEFAULT false,
  enable_api boolean NOT NULL DEFAULT true,
  api_rpm integer NOT NULL DEFAULT 0,
  api_rph integer NOT NULL DEFAULT 0,
  is_demo boolean NOT NULL DEFAULT false,
  is_public boolean NOT NULL DEFAULT false,
  max_active_requests integer,
  created_by uuid REFERENCES accounts (id) ON DELETE SET NULL,
  updated_by uuid REFERENCES accounts (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX apps_tenant_id_idx ON apps (tenant_id);

CREATE TABLE app_model_configs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  app_id uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  provider text,
  model_id text,
  model jsonb,
  configs jsonb,
  pre_prompt text,
  prompt_type text NOT NULL DEFAULT 'simple',
  opening_statement text,
  suggested_questions jsonb,
  user_input_form jsonb,
  dataset_configs jsonb,
  file_upload jsonb,
  more_like_this jsonb,
  created_by uuid REFERENCES accounts (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX app_model_configs_app_id_idx ON app_model_configs (app_id);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  app_id uuid REFERENCES apps (id) ON DELETE CASCADE,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  type text NOT NULL DEFAULT 'app' CHECK (type IN ('app', 'dataset')),
  token_hash text NOT NULL UNIQUE,
  token_prefix text NOT NULL,
  last_used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_tokens_app_id_idx ON api_tokens (app_id);

CREATE TABLE end_users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  app_id uuid REFERENCES apps (id) ON DELETE CASCADE,
  type text NOT NULL DEFAULT 'service_api',
  external_user_id text,
  name text,
  is_anonymous boolean NOT NULL DEFAULT true,
  session_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX end_users_app_session_key ON end_users (app_id, type, session_id);

CREATE TABLE conversations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  app_id uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  app_model_config_id uuid,
  model_provider text,
  model_id text,
  override_model_configs jsonb,
  mode text NOT NULL,
  name text NOT NULL DEFAULT '',
  summary text,
  inputs jsonb NOT NULL DEFAULT '{}'::jsonb,
  introduction text,
  system_instruction text,
  system_instruction_tokens integer NOT NULL DEFAULT 0,
  status text NOT NULL DEFAULT 'normal',
  invoke_from text,
  from_source text NOT NULL CHECK (from_source IN ('api', 'console')),
  from_end_user_id uuid REFERENCES end_users (id) ON DELETE SET NULL,
  from_account_id uuid REFERENCES accounts (id) ON DELETE SET NULL,
  read_at timestamptz,
  read_account_id uuid,
  dialogue_count integer NOT NULL DEFAULT 0,
  is_deleted boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_app_user_idx ON conversations (app_id, from_source, from_end_user_id, updated_at DESC);

CREATE TABLE messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  app_id uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  parent_message_id uuid,
  model_provider text,
  model_id text,
  override_model_configs jsonb,
  inputs jsonb NOT NULL DEFAULT '{}'::jsonb,
  query text NOT NULL,
  message jsonb,
  message_tokens integer NOT NULL DEFAULT 0,
  message_unit_price numeric(10, 4),
  message_price_unit numeric(10, 7) NOT NULL DEFAULT 0.001,
  answer text NOT NULL DEFAULT '',
  answer_tokens integer NOT NULL DEFAULT 0,
  answer_unit_price numeric(10, 4),
  answer_price_unit numeric(10, 7) NOT NULL DEFAULT 0.001,
  provider_response_latency double precision NOT NULL DEFAULT 0,
  total_price numeric(10, 7),
  currency text NOT NULL DEFAULT 'USD',
  status text NOT NULL DEFAULT 'normal',
  error text,
  message_metadata jsonb,
  invoke_from text,
  from_source text NOT NULL CHECK (from_source IN ('api', 'console')),
  from_end_user_id uuid REFERENCES end_users (id) ON DELETE SET NULL,
  from_account_id uuid REFERENCES accounts (id) ON DELETE SET NULL,
  agent_based boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation_id_idx ON messages (conversation_id, created_at);
CREATE INDEX messages_app_id_idx ON messages (app_id, created_at);

CREATE TABLE message_feedbacks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  app_id uuid NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  rating text NOT NULL CHECK (rating IN ('like', 'dislike')),
  content text,
  from_source text NOT NULL CHECK (from_source IN ('user', 'admin')),
  from_end_user_id uuid REFERENCES end_users (id) ON DELETE SET NULL,
  from_account_id uuid REFERENCES accounts (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_feedbacks_message_id_idx ON message_feedbacks (message_id, from_source);

CREATE TABLE upload_files (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  storage_type text NOT NULL DEFAULT 'local',
  key text NOT NULL,
  name text NOT NULL,
  size bigint NOT NULL,
  extension text NOT NULL DEFAULT '',
  mime_type text,
  hash text,
  source_url text NOT NULL DEFAULT '',
  created_by_role text NOT NULL DEFAULT 'account' CHECK (created_by_role IN ('account', 'end_user')),
  created_by uuid NOT NULL,
  used boolean NOT NULL DEFAULT false,
  used_by uuid,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX upload_files_tenant_id_idx ON upload_files (tenant_id);

CREATE TABLE message_files (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  type text NOT NULL,
  transfer_method text NOT NULL CHECK (transfer_method IN ('remote_url', 'local_file', 'tool_file')),
  url text,
  belongs_to text CHECK (belongs_to IN ('user', 'assistant')),
  upload_file_id uuid REFERENCES upload_files (id) ON DELETE SET NULL,
  created_by_role text NOT NULL CHECK (created_by_role IN ('account', 'end_user')),
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_files_message_id_idx ON message_files (message_id);
`;

export const down = `
DROP TABLE IF EXISTS message_files;
DROP TABLE IF EXISTS upload_files;
DROP TABLE IF EXISTS message_feedbacks;
DROP TABLE IF EXISTS messages;
DROP TABLE IF EXISTS conversations;
DROP TABLE IF EXISTS end_users;
DROP TABLE IF EXISTS api_tokens;
DROP TABLE IF EXISTS app_model_configs;
DROP TABLE IF EXISTS apps;
`;
