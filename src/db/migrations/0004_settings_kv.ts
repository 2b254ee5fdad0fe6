/**
 * System settings, prompt templates, and the key-value table the server uses instead of Redis when no
 * Redis runs (cache, rate-limit counters, refresh tokens, locks, the ready marker). pg-boss, the
 * PostgreSQL job queue, creates its own schema when it starts, so no queue table is needed here.
 */
export const revision = '0004';
export const down_revision = '0003';
export const description = 'system settings, prompt templates, kv_store (no-Redis fallback)';

export const up = `
CREATE TABLE system_settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  description text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE prompt_templates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  app_mode text NOT NULL CHECK (app_mode IN ('chat', 'completion', 'agent-chat', 'workflow', 'advanced-chat')),
  model_mode text NOT NULL CHECK (model_mode IN ('chat', 'completion')),
  prompt jsonb NOT NULL,
  stop jsonb NOT NULL DEFAULT '[]'::jsonb,
  description text NOT NULL DEFAULT '',
  is_builtin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kv_store (
  key text PRIMARY KEY,
  value text NOT NULL,
  expires_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kv_store_expires_at_idx ON kv_store (expires_at) WHERE expires_at IS NOT NULL;
`;

export const down = `
DROP TABLE IF EXISTS kv_store;
DROP TABLE IF EXISTS prompt_templates;
DROP TABLE IF EXISTS system_settings;
`;
