/**
 * `POST /console/api/apps/imports` and `…/imports/<id>/confirm` as Dify's AppDslService answers them:
 * an `Import` document (`id`, `status`, `app_id`, `app_mode`, `current_dsl_version`,
 * `imported_dsl_version`, `error`, and here `warnings`). A file newer than this server's DSL waits
 * 10 minutes for a confirmation (`pending`); failures are `status: failed` with the reason in `error`.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { configWarnings } from './config-warnings.js';
import { createAppFromDsl, type AppOverrides } from './create-app.js';
import { DslError, dslVersionOf, parseYamlMapping, readDslDocument, type DslDocument } from './document.js';
import { providerWarnings, type DslWarning, type ProviderView } from './provider-warnings.js';
import { CURRENT_DSL_VERSION, type ImportStatus, versionStatus } from './version.js';

/** Dify's DSL_MAX_SIZE. */
export const DSL_MAX_SIZE = 10 * 1024 * 1024;
const PENDING_PREFIX = 'app_import_info:';
const PENDING_TTL_SECONDS = 10 * 60;

export interface ImportParams extends AppOverrides {
  mode: 'yaml-content' | 'yaml-url';
  yaml_content?: string | null;
  yaml_url?: string | null;
  app_id?: string | null;
}

export interface ImportResult {
  id: string;
  status: ImportStatus;
  app_id: string | null;
  app_mode: string | null;
  current_dsl_version: string;
  imported_dsl_version: string;
  error: string;
  warnings: DslWarning[];
}

/** Where pending imports wait (Redis or its PostgreSQL stand-in: the server's key-value store). */
export interface PendingImports {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface ImportDeps {
  pool: pg.Pool;
  pending: PendingImports;
  /** The workspace's model providers (for the warnings about missing credentials). */
  providers(tenantId: string): Promise<ProviderView[]>;
}

interface Who {
  tenantId: string;
  accountId: string;
}

const result = (id: string, fields: Partial<ImportResult>): ImportResult => ({
  id,
  status: 'failed',
  app_id: null,
  app_mode: null,
  current_dsl_version: CURRENT_DSL_VERSION,
  imported_dsl_version: '',
  error: '',
  warnings: [],
  ...fields,
});

const failed = (id: string, error: string, imported = ''): ImportResult =>
  result(id, { status: 'failed', error, imported_dsl_version: imported });

async function create(
  deps: ImportDeps,
  who: Who,
  input: { id: string; doc: DslDocument; overrides: AppOverrides },
): Promise<ImportResult> {
  const { doc } = input;
  const providers = await deps.providers(who.tenantId);
  const created = await createAppFromDsl(deps.pool, {
    ...who,
    doc,
    overrides: input.overrides,
    knownProviders: new Set(providers.map((p) => p.provider)),
  });
  const warnings: DslWarning[] = [];
  if (created.provider && created.model)
    warnings.push(...providerWarnings({ provider: created.provider, name: created.model }, providers));
  warnings.push(...configWarnings(doc.modelConfig));
  if (versionStatus(doc.version) === 'completed-with-warnings') {
    warnings.push({
      code: 'dsl_version_older',
      path: 'version',
      message: `The file's DSL version ${doc.version} is older than this server's ${CURRENT_DSL_VERSION}; it was read with the older shapes.`,
      details: { imported: doc.version, current: CURRENT_DSL_VERSION },
    });
  }
  return result(input.id, {
    status: warnings.length ? 'completed-with-warnings' : 'completed',
    app_id: created.appId,
    app_mode: created.mode,
    imported_dsl_version: doc.version,
    warnings,
  });
}

/** Imports a DSL file as a new app of the workspace; never throws for a bad file (status `failed`). */
export async function importDsl(deps: ImportDeps, who: Who, params: ImportParams): Promise<ImportResult> {
  const id = randomUUID();
  if (params.mode === 'yaml-url') {
    return failed(
      id,
      'Importing from a URL (mode yaml-url) is not available: this server does not fetch files from the network. Download the file and import its text with mode yaml-content (difyctl apps import FILE.yml).',
    );
  }
  const yaml = params.yaml_content ?? '';
  if (!yaml.trim()) return failed(id, 'yaml_content is required when import_mode is yaml-content');
  if (Buffer.byteLength(yaml) > DSL_MAX_SIZE) return failed(id, 'File size exceeds the limit of 10MB');
  let version = '';
  try {
    const data = parseYamlMapping(yaml);
    version = dslVersionOf(data);
    const doc = readDslDocument(data);
    if (params.app_id) {
      const { rows } = await deps.pool.query(
        `SELECT 1 FROM apps WHERE id = $1 AND tenant_id = $2 AND status = 'normal'`,
        [params.app_id, who.tenantId],
      );
      return failed(
        id,
        rows.length ? 'Only workflow or advanced chat apps can be overwritten' : 'App not found',
        version,
      );
    }
    if (versionStatus(version) === 'pending') {
      const pending = {
        ...who,
        yaml_content: yaml,
        name: params.name,
        description: params.description,
        icon_type: params.icon_type,
        icon: params.icon,
        icon_background: params.icon_background,
      };
      await deps.pending.set(`${PENDING_PREFIX}${id}`, JSON.stringify(pending), PENDING_TTL_SECONDS);
      return result(id, { status: 'pending', imported_dsl_version: version });
    }
    return await create(deps, who, { id, doc, overrides: params });
  } catch (error) {
    if (error instanceof DslError) return failed(id, error.message, version);
    throw error;
  }
}

/** Imports a pending file (a newer DSL version) once the user confirmed it. */
export async function confirmImport(deps: ImportDeps, who: Who, importId: string): Promise<ImportResult> {
  const key = `${PENDING_PREFIX}${importId}`;
  const stored = await deps.pending.get(key);
  const pending = stored ? (JSON.parse(stored) as Who & { yaml_content: string } & AppOverrides) : null; // written by importDsl above
  // Another account's pending import is as good as absent (Dify's PendingImportOwner check).
  if (!pending || pending.tenantId !== who.tenantId || pending.accountId !== who.accountId)
    return failed(importId, 'Import information expired or does not exist');
  try {
    const done = await create(deps, who, {
      id: importId,
      doc: readDslDocument(parseYamlMapping(pending.yaml_content)),
      overrides: pending,
    });
    await deps.pending.delete(key);
    return done;
  } catch (error) {
    if (error instanceof DslError) return failed(importId, error.message);
    throw error;
  }
}
