/**
 * The workspace's default model of a type (console `default-model`, and what the worker uses when it
 * needs "a model"): the saved choice, else — as Dify infers one — the first active model of the type.
 */
import type pg from 'pg';
import { ORIGIN_MODEL_TYPE, type ProviderSpec } from './catalog-types.js';
import { modelsOf, readWorkspace, simpleProvider } from './catalog.js';
import { defaultModelRow } from './store.js';
import type { ModelType } from './types.js';

export async function defaultModelOf(
  deps: { pool: pg.Pool; specs: { get(name: string): ProviderSpec | undefined; list(): ProviderSpec[] } },
  tenantId: string,
  type: ModelType,
): Promise<{ provider: string; model: string } | undefined> {
  const row = await defaultModelRow(deps.pool, tenantId, ORIGIN_MODEL_TYPE[type]);
  if (row && deps.specs.get(row.provider_name)) return { provider: row.provider_name, model: row.model_name };
  const state = await readWorkspace(deps.pool, tenantId);
  for (const spec of deps.specs.list()) {
    if (!spec.supported_model_types.includes(type)) continue;
    const active = modelsOf(spec, state, type).find((m) => m.status === 'active');
    if (active) return { provider: spec.provider, model: active.model };
  }
  return undefined;
}

/** Dify's DefaultModelResponse. */
export function defaultModelResponse(tenantId: string, spec: ProviderSpec, model: string, type: ModelType) {
  return { model, model_type: type, provider: simpleProvider(tenantId, spec) };
}
