/**
 * An app as Dify's DSL (AppDslService.export_dsl): `version`, `kind: app`, `app: {…}`,
 * `model_config` (the config's to_dict, tool credential ids removed) and `dependencies`, dumped with
 * sorted keys as PyYAML's `yaml.dump` writes them.
 */
import type pg from 'pg';
import { stringify } from 'yaml';
import { AppRequestError } from '../errors.js';
import { loadAppConfig, type AppModelConfigDict } from '../model-config/index.js';
import { DSL_MODES } from './document.js';
import { CURRENT_DSL_VERSION } from './version.js';

export interface DslAppRecord {
  name: string;
  mode: string;
  icon: string | null;
  icon_type: string | null;
  icon_background: string | null;
  description: string;
  use_icon_as_answer_icon: boolean;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The model config as a DSL file carries it: workspace-bound tool credential ids removed. */
export function modelConfigForDsl(config: AppModelConfigDict): Record<string, unknown> {
  const copy = structuredClone(config) as unknown as Record<string, unknown>; // a plain JSON tree (jsonb)
  const tools = isRecord(copy.agent_mode) && Array.isArray(copy.agent_mode.tools) ? copy.agent_mode.tools : [];
  for (const tool of tools) if (isRecord(tool)) delete tool.credential_id;
  return copy;
}

/** The DSL document of an app and its config (before YAML). */
export function dslDocument(app: DslAppRecord, config: AppModelConfigDict): Record<string, unknown> {
  return {
    app: {
      description: app.description,
      icon: app.icon,
      icon_background: app.icon_background,
      icon_type: app.icon_type,
      mode: app.mode,
      name: app.name,
      use_icon_as_answer_icon: app.use_icon_as_answer_icon,
    },
    dependencies: [],
    kind: 'app',
    model_config: modelConfigForDsl(config),
    version: CURRENT_DSL_VERSION,
  };
}

/** YAML as PyYAML's `yaml.dump(allow_unicode=True)`: keys sorted, block style, unicode kept. */
export function dumpDsl(document: Record<string, unknown>): string {
  return stringify(document, {
    sortMapEntries: true,
    lineWidth: 80,
    indentSeq: false,
    singleQuote: true,
    aliasDuplicateObjects: false,
  });
}

/**
 * The DSL of an app of the workspace.
 * @throws AppRequestError 404 `app_not_found`; 400 `app_unavailable` (workflow apps, not supported
 *   yet); 400 `invalid_param` when the app has no model config yet
 */
export async function exportAppDsl(pool: pg.Pool, input: { tenantId: string; appId: string }): Promise<string> {
  const { rows } = await pool.query<DslAppRecord>(
    `SELECT name, mode, icon, icon_type, icon_background, description, use_icon_as_answer_icon
       FROM apps WHERE id = $1 AND tenant_id = $2 AND status = 'normal'`,
    [input.appId, input.tenantId],
  );
  const app = rows[0];
  if (!app) throw new AppRequestError('app_not_found', 'App not found.', 404);
  if (!(DSL_MODES as readonly string[]).includes(app.mode)) {
    throw new AppRequestError(
      'app_unavailable',
      `Exporting ${app.mode} apps is not supported yet: this server exports chat and completion apps.`,
    );
  }
  const record = await loadAppConfig(pool, input.appId);
  if (!record?.config) throw new AppRequestError('invalid_param', 'Missing app configuration, please check.');
  return dumpDsl(dslDocument(app, record.config));
}
