/**
 * Model providers of a workspace, as Dify 1.x keeps them (api/models/provider.py): a `providers` row
 * per configured provider pointing at its active credential, named credentials (several per provider
 * or custom model), custom models (`provider_models`), and the workspace's default model per type.
 *
 * `encrypted_config` is a JSON object whose secret fields (per the provider's credential schema) are
 * AES-256-GCM ciphertexts under a key derived from SECRET_KEY: no key material is stored here.
 * `model_type` holds Dify's stored ("origin") names: `text-generation` for llm, `embeddings` for
 * text-embedding.
 */
export const revision = '0005';
export const down_revision = '0004';
export const description = 'model providers: providers, credentials, custom models, tenant default models';

const MODEL_TYPE = `model_type text NOT NULL CHECK (model_type IN ('text-generation', 'embeddings', 'reranking', 'speech2text', 'tts', 'moderation'))`;

export const up = `
CREATE TABLE provider_credentials (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  provider_name text NOT NULL,
  credential_name text NOT NULL,
  encrypted_config text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_credential_tenant_provider_idx ON provider_credentials (tenant_id, provider_name);

CREATE TABLE providers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  provider_name text NOT NULL,
  provider_type text NOT NULL DEFAULT 'custom' CHECK (provider_type IN ('custom', 'system')),
  is_valid boolean NOT NULL DEFAULT false,
  last_used timestamptz,
  credential_id uuid REFERENCES provider_credentials (id) ON DELETE SET NULL,
  quota_type text DEFAULT '',
  quota_limit bigint,
  quota_used bigint DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT unique_provider_name_type_quota UNIQUE (tenant_id, provider_name, provider_type, quota_type)
);
CREATE INDEX provider_tenant_id_provider_idx ON providers (tenant_id, provider_name);

CREATE TABLE provider_model_credentials (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  provider_name text NOT NULL,
  model_name text NOT NULL,
  ${MODEL_TYPE},
  credential_name text NOT NULL,
  encrypted_config text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_model_credential_tenant_provider_model_idx
  ON provider_model_credentials (tenant_id, provider_name, model_name, model_type);

CREATE TABLE provider_models (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  provider_name text NOT NULL,
  model_name text NOT NULL,
  ${MODEL_TYPE},
  credential_id uuid REFERENCES provider_model_credentials (id) ON DELETE SET NULL,
  is_valid boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT unique_provider_model_name UNIQUE (tenant_id, provider_name, model_name, model_type)
);
CREATE INDEX provider_model_tenant_id_provider_idx ON provider_models (tenant_id, provider_name);

CREATE TABLE tenant_default_models (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  provider_name text NOT NULL,
  model_name text NOT NULL,
  ${MODEL_TYPE},
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT unique_tenant_default_model_type UNIQUE (tenant_id, model_type)
);
CREATE INDEX tenant_default_model_tenant_id_provider_type_idx
  ON tenant_default_models (tenant_id, provider_name, model_type);
`;

export const down = `
DROP TABLE IF EXISTS tenant_default_models;
DROP TABLE IF EXISTS provider_models;
DROP TABLE IF EXISTS provider_model_credentials;
DROP TABLE IF EXISTS providers;
DROP TABLE IF EXISTS provider_credentials;
`;
