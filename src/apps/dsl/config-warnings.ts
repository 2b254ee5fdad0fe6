/**
 * Parts of an imported model config this server keeps but does not run yet: knowledge bases
 * (`dataset_configs`) and external data tools. The app imports and answers without them; the
 * warnings say so, as Dify's DslImportWarning reports references it could not restore.
 */
import type { DslWarning } from './provider-warnings.js';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The knowledge base ids a config's `dataset_configs.datasets.datasets[].dataset.id` names. */
function datasetIds(config: Record<string, unknown>): string[] {
  const outer = isRecord(config.dataset_configs) ? config.dataset_configs.datasets : undefined;
  const list = isRecord(outer) && Array.isArray(outer.datasets) ? outer.datasets : [];
  return list
    .map((entry) => (isRecord(entry) && isRecord(entry.dataset) ? String(entry.dataset.id ?? '') : ''))
    .filter(Boolean);
}

export function configWarnings(config: Record<string, unknown>): DslWarning[] {
  const warnings: DslWarning[] = [];
  const ids = datasetIds(config);
  if (ids.length) {
    warnings.push({
      code: 'dataset_not_found',
      path: 'model_config.dataset_configs.datasets',
      message: `The app retrieves from ${ids.length} knowledge base(s) (${ids.join(', ')}) that do not exist on this server; it answers without them.`,
      details: { dataset_ids: ids },
    });
  }
  const tools = Array.isArray(config.external_data_tools)
    ? config.external_data_tools.filter((t) => isRecord(t) && t.enabled !== false)
    : [];
  if (tools.length) {
    warnings.push({
      code: 'external_data_tool_ignored',
      path: 'model_config.external_data_tools',
      message: `The app has ${tools.length} external data tool(s); this server does not call them yet, so their variables stay empty.`,
      details: { variables: tools.map((t) => (isRecord(t) ? t.variable : undefined)).filter(Boolean) },
    });
  }
  return warnings;
}
