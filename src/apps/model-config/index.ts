/**
 * The app model config: Dify's schema and defaults, the current config of an app, a new row per save.
 *
 *   const app = await loadAppConfig(pool, appId);   // { mode, tenantId, config: AppModelConfigDict | null }
 *   app?.config?.user_input_form                     // what GET /v1/parameters shows
 */
import type pg from 'pg';
import { AppRequestError } from '../errors.js';
import { validateModelConfig } from './schema.js';
import { saveAppConfig, type AppConfigRecord, type AppModelConfigDict } from './store.js';
import { inTransaction } from '../../db/pooled-transaction.js';
import { forgetAppConfig } from './cache.js';

export {
  configKeys,
  INPUT_TYPES,
  validateModelConfig,
  type FormItem,
  type InputType,
  type ValidatedModelConfig,
} from './schema.js';
export { appConfigForGeneration, forgetAppConfig, StaleAppConfig } from './cache.js';
export {
  configDict,
  loadAppConfig,
  saveAppConfig,
  type AppConfigRecord,
  type AppModelConfigDict,
  type ModelSection,
} from './store.js';

/** App modes whose config is this easy-UI model config (Dify's `get_app_model(mode=[…])`). */
export const MODEL_CONFIG_MODES = ['chat', 'completion', 'agent-chat'] as const;
type ConfigMode = (typeof MODEL_CONFIG_MODES)[number];

const isConfigMode = (mode: string): mode is ConfigMode => (MODEL_CONFIG_MODES as readonly string[]).includes(mode);

/**
 * Validates and saves a new config for an app of the workspace, and points the app at it.
 * @throws AppRequestError 404 `app_not_found`, 400 `app_unavailable` (a workflow app), 400 `invalid_param`
 */
export async function updateModelConfig(
  pool: pg.Pool,
  input: { tenantId: string; appId: string; accountId: string; body: unknown },
): Promise<{ configId: string }> {
  const saved = await inTransaction(pool, async (client) => {
    // The app row is locked so two saves cannot interleave their "new row + repoint".
    const { rows } = await client.query<{ mode: string }>(
      `SELECT mode FROM apps WHERE id = $1 AND tenant_id = $2 AND status = 'normal' FOR UPDATE`,
      [input.appId, input.tenantId],
    );
    const mode = rows[0]?.mode;
    if (!mode) throw new AppRequestError('app_not_found', 'App not found.', 404);
    if (!isConfigMode(mode))
      throw new AppRequestError('app_unavailable', 'App unavailable, please check your app configurations.');
    const config = validateModelConfig(mode, input.body);
    const configId = await saveAppConfig(client, { appId: input.appId, accountId: input.accountId, config });
    return { configId };
  });
  // This process's next generation reads it; the others find out as they write their next message.
  forgetAppConfig(pool, input.appId);
  return saved;
}

const unix = (date: Date | null): number | null => (date ? Math.floor(date.getTime() / 1000) : null);

/** The `model_config` of Dify's app detail (fields/app_fields.py model_config_fields), or null. */
export function modelConfigJson(
  record: AppConfigRecord | undefined,
): (AppModelConfigDict & Record<string, unknown>) | null {
  if (!record?.config) return null;
  return {
    ...record.config,
    created_by: record.createdBy,
    created_at: unix(record.createdAt),
    updated_by: record.createdBy,
    updated_at: unix(record.updatedAt),
  };
}
