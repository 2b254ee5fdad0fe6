/**
 * Creates the app a DSL document describes (Dify's `_create_or_update_app` for a new app): the app row
 * with the request's overrides, then its model config validated with the console's rules, in one
 * transaction, so a refused config leaves no half-made app behind.
 */
import type pg from 'pg';
import { AppRequestError } from '../errors.js';
import { saveAppConfig, validateModelConfig } from '../model-config/index.js';
import { DslError, type DslDocument } from './document.js';
import { localProviderName } from './provider-warnings.js';
import { inTransaction } from '../../db/pooled-transaction.js';

/** The request's `name`, `description`, `icon_type`, `icon`, `icon_background` (each wins when set). */
export interface AppOverrides {
  name?: string | null;
  description?: string | null;
  icon_type?: string | null;
  icon?: string | null;
  icon_background?: string | null;
}

const ICON_TYPES = ['emoji', 'image', 'link'];

/** The first path of a string holding U+0000 (PostgreSQL text and jsonb refuse it); null if none. */
function nulPath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const found = nulPath(item, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return null;
}

/** The app row's values, as Dify picks them from the overrides and the file. @throws DslError */
export function appValues(doc: DslDocument, overrides: AppOverrides) {
  const app = doc.app;
  const name = (overrides.name || app.name || '').trim();
  if (!name)
    throw new DslError('app.name is missing: give the app a name (name in the request, or app.name in the file)');
  if (name.length > 255) throw new DslError(`app.name is longer than 255 characters (${name.length})`);
  const iconType = overrides.icon_type || app.icon_type;
  return {
    name,
    mode: app.mode,
    description: overrides.description || app.description || '',
    icon_type: iconType && ICON_TYPES.includes(iconType) ? iconType : 'emoji',
    icon: overrides.icon || (app.icon == null ? '' : String(app.icon)),
    icon_background: overrides.icon_background || (doc.hasIconBackground ? (app.icon_background ?? null) : '#FFFFFF'),
    use_icon_as_answer_icon: app.use_icon_as_answer_icon ?? false,
  };
}

/** The file's model config, validated as the console's model-config route does. @throws DslError naming the field */
export function importedModelConfig(doc: DslDocument, knownProviders: ReadonlySet<string>) {
  const raw = structuredClone(doc.modelConfig);
  const model = raw.model;
  if (typeof model === 'object' && model !== null && 'provider' in model && typeof model.provider === 'string') {
    model.provider = localProviderName(model.provider, knownProviders);
  }
  try {
    return validateModelConfig(doc.app.mode, raw);
  } catch (error) {
    if (error instanceof AppRequestError) throw new DslError(`model_config.${error.message}`);
    throw error;
  }
}

/** The workspace or account of the session vanished under it (`db reset`): its token is void. */
const isGoneOwner = (error: unknown): boolean => (error as { code?: unknown }).code === '23503';

/**
 * Inserts the app and its first config row.
 * @throws DslError for values PostgreSQL cannot store; AppRequestError 401 when the session's workspace is gone
 */
export async function createAppFromDsl(
  pool: pg.Pool,
  input: {
    tenantId: string;
    accountId: string;
    doc: DslDocument;
    overrides: AppOverrides;
    knownProviders: ReadonlySet<string>;
  },
): Promise<{ appId: string; mode: string; provider: string | null; model: string | null }> {
  const values = appValues(input.doc, input.overrides);
  const config = importedModelConfig(input.doc, input.knownProviders);
  const nul = nulPath(values, 'app') ?? nulPath(config, 'model_config');
  if (nul) throw new DslError(`${nul}: must not contain the NUL character (\\u0000)`);
  try {
    return await inTransaction(pool, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO apps (tenant_id, name, description, mode, icon_type, icon, icon_background, use_icon_as_answer_icon, enable_site, enable_api, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true, true, $9, $9) RETURNING id`,
        [
          input.tenantId,
          values.name,
          values.description,
          values.mode,
          values.icon_type,
          values.icon,
          values.icon_background,
          values.use_icon_as_answer_icon,
          input.accountId,
        ],
      );
      const appId = rows[0]!.id;
      await saveAppConfig(client, { appId, accountId: input.accountId, config });
      return { appId, mode: values.mode, provider: config.model?.provider ?? null, model: config.model?.name ?? null };
    });
  } catch (error) {
    if (isGoneOwner(error))
      throw new AppRequestError(
        'unauthorized',
        'The account or workspace of this session no longer exists. Sign in again.',
        401,
      );
    throw error;
  }
}
