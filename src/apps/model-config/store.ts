/**
 * App model config rows (`app_model_configs`): each save is a new row and the app points at it
 * (`apps.app_model_config_id`), as Dify keeps them. The whole validated config lives in `configs`;
 * the named columns (provider, model_id, pre_prompt…) are filled too, for SQL readers.
 */
import type pg from 'pg';
import type { FormItem, ValidatedModelConfig } from './schema.js';

/** Dify's `model` section. */
export interface ModelSection {
  provider: string;
  name: string;
  mode: 'chat' | 'completion';
  completion_params: { stop: string[]; [key: string]: unknown };
  [key: string]: unknown;
}

/** Dify's `AppModelConfig.to_dict()`: every key present, defaults filled (what /parameters reads). */
export interface AppModelConfigDict {
  opening_statement: string | null;
  suggested_questions: string[];
  suggested_questions_after_answer: { enabled: boolean; [key: string]: unknown };
  speech_to_text: { enabled: boolean; [key: string]: unknown };
  text_to_speech: { enabled: boolean; [key: string]: unknown };
  retriever_resource: { enabled: boolean; [key: string]: unknown };
  annotation_reply: { enabled: boolean; [key: string]: unknown };
  more_like_this: { enabled: boolean; [key: string]: unknown };
  sensitive_word_avoidance: {
    enabled: boolean;
    type?: string | null;
    config?: Record<string, unknown> | null;
    [key: string]: unknown;
  };
  external_data_tools: Record<string, unknown>[];
  model: ModelSection | null;
  user_input_form: Record<string, FormItem>[];
  dataset_query_variable: string | null;
  pre_prompt: string | null;
  agent_mode: Record<string, unknown>;
  prompt_type: 'simple' | 'advanced';
  chat_prompt_config: Record<string, unknown>;
  completion_prompt_config: Record<string, unknown>;
  dataset_configs: Record<string, unknown>;
  file_upload: Record<string, unknown>;
}

/** An app and its current config (undefined config: the app has none yet). */
export interface AppConfigRecord {
  appId: string;
  tenantId: string;
  mode: string;
  /** `app_model_configs.id`, null when the app has no config. */
  configId: string | null;
  config: AppModelConfigDict | null;
  createdBy: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

interface ConfigRow {
  app_id: string;
  tenant_id: string;
  mode: string;
  config_id: string | null;
  configs: Partial<ValidatedModelConfig> | null;
  model: ModelSection | null;
  pre_prompt: string | null;
  prompt_type: string | null;
  opening_statement: string | null;
  suggested_questions: string[] | null;
  user_input_form: Record<string, FormItem>[] | null;
  dataset_configs: Record<string, unknown> | null;
  file_upload: Record<string, unknown> | null;
  more_like_this: { enabled: boolean } | null;
  created_by: string | null;
  created_at: Date | null;
  updated_at: Date | null;
}

const DEFAULT_FILE_UPLOAD = {
  image: { enabled: false, number_limits: 3, detail: 'high', transfer_methods: ['remote_url', 'local_file'] },
};

const nonEmpty = <T extends object>(value: T | null | undefined): value is T =>
  Boolean(value && Object.keys(value).length);

/** The stored config with Dify's `to_dict()` defaults, keys in Dify's order. */
export function configDict(
  row: Omit<ConfigRow, 'app_id' | 'tenant_id' | 'mode' | 'config_id' | 'created_by' | 'created_at' | 'updated_at'>,
): AppModelConfigDict {
  const c = row.configs ?? {};
  return {
    opening_statement: c.opening_statement ?? row.opening_statement ?? null,
    suggested_questions: c.suggested_questions ?? row.suggested_questions ?? [],
    suggested_questions_after_answer: c.suggested_questions_after_answer ?? { enabled: false },
    speech_to_text: c.speech_to_text ?? { enabled: false },
    text_to_speech: c.text_to_speech ?? { enabled: false },
    retriever_resource: c.retriever_resource ?? { enabled: true },
    annotation_reply: { enabled: false },
    more_like_this: c.more_like_this ?? row.more_like_this ?? { enabled: false },
    sensitive_word_avoidance: c.sensitive_word_avoidance ?? { enabled: false, type: '', configs: [] },
    external_data_tools: c.external_data_tools ?? [],
    // The validated `model` (schema.ts) has ModelSection's fields; zod's loose output type is wider.
    model: (c.model as ModelSection | undefined) ?? row.model ?? null,
    user_input_form: c.user_input_form ?? row.user_input_form ?? [],
    dataset_query_variable: c.dataset_query_variable ?? null,
    pre_prompt: c.pre_prompt ?? row.pre_prompt ?? null,
    agent_mode: c.agent_mode ?? { enabled: false, strategy: null, tools: [], prompt: null },
    prompt_type: c.prompt_type ?? (row.prompt_type === 'advanced' ? 'advanced' : 'simple'),
    chat_prompt_config: c.chat_prompt_config ?? {},
    completion_prompt_config: c.completion_prompt_config ?? {},
    dataset_configs: nonEmpty(c.dataset_configs)
      ? c.dataset_configs
      : nonEmpty(row.dataset_configs)
        ? row.dataset_configs
        : { retrieval_model: 'multiple' },
    file_upload: nonEmpty(c.file_upload)
      ? c.file_upload
      : nonEmpty(row.file_upload)
        ? row.file_upload
        : DEFAULT_FILE_UPLOAD,
  };
}

/**
 * The app (any status but being deleted) and its current model config.
 * @returns undefined when the app does not exist
 */
export async function loadAppConfig(
  db: pg.Pool | pg.PoolClient,
  appId: string,
  options: { configId?: string } = {},
): Promise<AppConfigRecord | undefined> {
  // Named: every generation runs it; each connection parses and plans it once.
  const { rows } = await db.query<ConfigRow>({
    name: 'apps.config.load',
    text: `SELECT a.id AS app_id, a.tenant_id, a.mode, c.id AS config_id, c.configs, c.model, c.pre_prompt, c.prompt_type, c.opening_statement,
                  c.suggested_questions, c.user_input_form, c.dataset_configs, c.file_upload, c.more_like_this, c.created_by, c.created_at, c.updated_at
             FROM apps a LEFT JOIN app_model_configs c ON c.id = COALESCE($2::uuid, a.app_model_config_id) AND c.app_id = a.id
            WHERE a.id = $1 AND a.status = 'normal'`,
    values: [appId, options.configId ?? null],
  });
  const row = rows[0];
  if (!row) return undefined;
  return {
    appId: row.app_id,
    tenantId: row.tenant_id,
    mode: row.mode,
    configId: row.config_id,
    config: row.config_id ? configDict(row) : null,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Saves a validated config as a new row and points the app at it, in one transaction.
 * @returns the new row's id
 */
export async function saveAppConfig(
  client: pg.PoolClient,
  input: { appId: string; accountId: string | null; config: Partial<ValidatedModelConfig> },
): Promise<string> {
  const c = input.config;
  const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO app_model_configs (app_id, provider, model_id, model, configs, pre_prompt, prompt_type, opening_statement, suggested_questions,
                                    user_input_form, dataset_configs, file_upload, more_like_this, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
    [
      input.appId,
      c.model?.provider ?? null,
      c.model?.name ?? null,
      json(c.model),
      JSON.stringify(c),
      c.pre_prompt ?? null,
      c.prompt_type ?? 'simple',
      c.opening_statement ?? null,
      json(c.suggested_questions),
      json(c.user_input_form),
      json(c.dataset_configs),
      json(c.file_upload),
      json(c.more_like_this),
      input.accountId,
    ],
  );
  const id = rows[0]!.id;
  await client.query(
    'UPDATE apps SET app_model_config_id = $2, updated_by = COALESCE($3, updated_by), updated_at = now() WHERE id = $1',
    [input.appId, id, input.accountId],
  );
  return id;
}
