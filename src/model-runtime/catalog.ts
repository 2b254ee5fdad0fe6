/**
 * The console's view of a workspace's providers and models in Dify's shapes
 * (services/entities/model_provider_entities.py, core/entities/model_entities.py): ProviderResponse,
 * ProviderModelWithStatusEntity, ProviderWithModelsResponse, DefaultModelResponse.
 */
import type pg from 'pg';
import { modelTypeFromOrigin, type PredefinedModel, type ProviderSpec } from './catalog-types.js';
import { DEFAULT_CONTEXT_SIZE } from './resolve.js';
import { type CustomModelRow, listCustomModels, listProviderCredentials, providerRecords } from './store.js';
import type { ModelType } from './types.js';

export type ModelStatus = 'active' | 'no-configure';

export interface ModelEntity {
  model: string;
  label: { en_US: string; zh_Hans: string };
  model_type: ModelType;
  features: string[];
  fetch_from: 'predefined-model' | 'customizable-model';
  model_properties: Record<string, unknown>;
  deprecated: boolean;
  status: ModelStatus;
  load_balancing_enabled: boolean;
  has_invalid_load_balancing_configs: boolean;
}

/** Everything about a workspace's configuration that the console views need, read once. */
export interface WorkspaceState {
  records: Awaited<ReturnType<typeof providerRecords>>;
  credentials: Awaited<ReturnType<typeof listProviderCredentials>>;
  customModels: CustomModelRow[];
}

export async function readWorkspace(pool: pg.Pool, tenantId: string, provider?: string): Promise<WorkspaceState> {
  const [records, credentials, customModels] = await Promise.all([
    providerRecords(pool, tenantId),
    listProviderCredentials(pool, tenantId, provider),
    listCustomModels(pool, tenantId, provider),
  ]);
  return { records, credentials, customModels };
}

/** Non-secret settings of a stored config (mode, context_size) without decrypting anything. */
function plainSettings(encryptedConfig: string | null): Record<string, unknown> {
  if (!encryptedConfig) return {};
  try {
    return JSON.parse(encryptedConfig) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function entity(m: PredefinedModel, fetchFrom: ModelEntity['fetch_from'], status: ModelStatus): ModelEntity {
  const context_size = m.context_size ?? DEFAULT_CONTEXT_SIZE;
  return {
    model: m.model,
    label: { en_US: m.label?.en_US ?? m.model, zh_Hans: m.label?.zh_Hans ?? m.label?.en_US ?? m.model },
    model_type: m.model_type,
    features: m.features ?? [],
    fetch_from: fetchFrom,
    model_properties: m.model_type === 'llm' ? { mode: m.mode ?? 'chat', context_size } : { context_size },
    deprecated: false,
    status,
    load_balancing_enabled: false,
    has_invalid_load_balancing_configs: false,
  };
}

/** Predefined models count as configured when the provider has an active credential (or needs none). */
export function providerConfigured(spec: ProviderSpec, state: WorkspaceState): boolean {
  if (!spec.configurate_methods.includes('predefined-model')) return false;
  return !spec.provider_credential_schema || Boolean(state.records.get(spec.provider)?.credentialId);
}

/** A provider's models: predefined (with the provider's status) and the workspace's custom ones. */
export function modelsOf(spec: ProviderSpec, state: WorkspaceState, type?: ModelType): ModelEntity[] {
  const predefinedStatus: ModelStatus = providerConfigured(spec, state) ? 'active' : 'no-configure';
  const out = spec.models
    .filter((m) => !type || m.model_type === type)
    .map((m) => entity(m, 'predefined-model', predefinedStatus));
  for (const row of state.customModels) {
    const modelType = modelTypeFromOrigin(row.model_type);
    if (row.provider_name !== spec.provider || !modelType || (type && modelType !== type)) continue;
    const settings = plainSettings(row.encrypted_config);
    const context = Number(settings.context_size);
    const custom: PredefinedModel = {
      model: row.model_name,
      model_type: modelType,
      mode: settings.mode === 'completion' ? 'completion' : 'chat',
      ...(Number.isInteger(context) && context > 0 ? { context_size: context } : {}),
      ...(typeof settings.display_name === 'string' && settings.display_name
        ? { label: { en_US: settings.display_name } }
        : {}),
    };
    const existing = out.findIndex((m) => m.model === custom.model && m.model_type === custom.model_type);
    const value = entity(custom, 'customizable-model', row.credential_id ? 'active' : 'no-configure');
    if (existing >= 0) out[existing] = value;
    else out.push(value);
  }
  return out;
}

/** Dify 1.x's ProviderResponse (0.15 readers ignore the added fields). */
export function providerResponse(tenantId: string, spec: ProviderSpec, state: WorkspaceState) {
  const record = state.records.get(spec.provider);
  const custom = state.customModels.filter((m) => m.provider_name === spec.provider);
  const active = providerConfigured(spec, state) || custom.some((m) => m.credential_id);
  return {
    tenant_id: tenantId,
    provider: spec.provider,
    label: { zh_Hans: spec.label.zh_Hans ?? spec.label.en_US, en_US: spec.label.en_US },
    description: spec.description ?? null,
    icon_small: spec.icon_small ?? null,
    icon_small_dark: null,
    icon_large: spec.icon_large ?? null,
    background: spec.background ?? null,
    help: spec.help ?? null,
    supported_model_types: spec.supported_model_types,
    configurate_methods: spec.configurate_methods,
    provider_credential_schema: spec.provider_credential_schema ?? null,
    model_credential_schema: spec.model_credential_schema ?? null,
    preferred_provider_type: 'custom',
    custom_configuration: {
      status: active ? 'active' : 'no-configure',
      current_credential_id: record?.credentialId ?? null,
      current_credential_name: record?.credentialName ?? null,
      available_credentials: state.credentials
        .filter((c) => c.provider_name === spec.provider)
        .map((c) => ({ credential_id: c.id, credential_name: c.credential_name })),
      custom_models: custom.map((m) => ({
        model: m.model_name,
        model_type: modelTypeFromOrigin(m.model_type) ?? m.model_type,
        credentials: null,
        current_credential_id: m.credential_id,
        current_credential_name: m.credential_name,
        available_model_credentials: [],
        unadded_to_model_list: false,
      })),
      can_added_models: [],
    },
    system_configuration: { enabled: false, current_quota_type: null, quota_configurations: [] },
  };
}

/** The fields Dify's provider answers open with (SimpleProviderEntityResponse, ProviderWithModelsResponse). */
export function providerHead(tenantId: string, spec: ProviderSpec) {
  return {
    tenant_id: tenantId,
    provider: spec.provider,
    label: { zh_Hans: spec.label.zh_Hans ?? spec.label.en_US, en_US: spec.label.en_US },
    icon_small: spec.icon_small ?? null,
    icon_small_dark: null,
    icon_large: spec.icon_large ?? null,
  };
}

/** Dify's SimpleProviderEntityResponse (inside default-model answers). */
export function simpleProvider(tenantId: string, spec: ProviderSpec) {
  return { ...providerHead(tenantId, spec), supported_model_types: spec.supported_model_types };
}
