/**
 * Dify's app DSL for chat and completion apps: import (`POST /console/api/apps/imports`, confirm
 * for newer versions) and export (`GET /console/api/apps/<id>/export`).
 *
 *   const result = await importDsl({ pool, pending: kv, providers }, { tenantId, accountId }, { mode: 'yaml-content', yaml_content });
 *   result.status  // completed | completed-with-warnings | pending | failed (result.error says why)
 *   const yaml = await exportAppDsl(pool, { tenantId, appId });
 */
export { configWarnings } from './config-warnings.js';
export { DSL_MODES, DslError, parseYamlMapping, readDslDocument, type DslDocument, type DslMode } from './document.js';
export { dslDocument, dumpDsl, exportAppDsl, modelConfigForDsl, type DslAppRecord } from './export.js';
export {
  confirmImport,
  DSL_MAX_SIZE,
  importDsl,
  type ImportDeps,
  type ImportParams,
  type ImportResult,
  type PendingImports,
} from './import.js';
export { localProviderName, providerWarnings, type DslWarning, type ProviderView } from './provider-warnings.js';
export { CURRENT_DSL_VERSION, compareVersions, versionStatus, type ImportStatus } from './version.js';
