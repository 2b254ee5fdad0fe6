/**
 * Which credentials, mode, context size and price a model call uses (Dify's ModelManager +
 * ProviderConfiguration): a custom model's own credential first, else the provider's active
 * credential (predefined-model providers), else nothing — `provider_not_initialize`. Successful
 * lookups are reused for a short time, and concurrent ones share one (writes through this runtime
 * clear them at once; another process sees a change within the TTL).
 */
import type pg from 'pg';
import { createPromiseCache } from '../cache/promise-cache.js';
import { type Credentials, ORIGIN_MODEL_TYPE, type ProviderSpec } from './catalog-types.js';
import { openCredentials } from './credentials.js';
import { contextSizeOf, type PriceInfo, priceOf } from './prices.js';
import type { CredentialKey } from './secrets.js';
import { activeCredential } from './credential-store.js';
import { customModel } from './store.js';
import { type LlmMode, ModelRuntimeError, type ModelRef, type ModelType } from './types.js';

export interface ResolvedModel {
  spec: ProviderSpec;
  credentials: Credentials;
  mode: LlmMode;
  contextSize: number;
  price?: PriceInfo;
  maxTokensCap?: number;
}

export const DEFAULT_CONTEXT_SIZE = 4096;

const positiveInt = (value: unknown): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

/** Providers whose models carry list prices (priced by the real model behind them). */
function priceFor(spec: ProviderSpec, model: string, credentials: Credentials): PriceInfo | undefined {
  if (spec.provider === 'openai' || spec.provider === 'anthropic') return priceOf(model);
  if (spec.provider === 'azure_openai' && typeof credentials.base_model_name === 'string')
    return priceOf(credentials.base_model_name);
  return undefined;
}

export function describeModel(
  spec: ProviderSpec,
  model: string,
  type: ModelType,
  credentials: Credentials,
): ResolvedModel {
  const predefined = spec.models.find((m) => m.model === model && m.model_type === type);
  // Azure names the real model behind a deployment (base_model_name): its mode and window are that model's.
  const upstream =
    typeof credentials.base_model_name === 'string' && credentials.base_model_name
      ? credentials.base_model_name
      : model;
  const inferred = predefined?.mode ?? (upstream !== model && /instruct/.test(upstream) ? 'completion' : 'chat');
  const mode = credentials.mode === 'completion' || credentials.mode === 'chat' ? credentials.mode : inferred;
  return {
    spec,
    credentials,
    mode,
    contextSize:
      positiveInt(credentials.context_size) ??
      predefined?.context_size ??
      contextSizeOf(upstream) ??
      DEFAULT_CONTEXT_SIZE,
    price: priceFor(spec, model, credentials),
    maxTokensCap: positiveInt(credentials.max_tokens_to_sample) ?? positiveInt(credentials.max_tokens),
  };
}

export interface Resolver {
  resolve(ref: ModelRef, type: ModelType): Promise<ResolvedModel>;
  /** Forget cached lookups of a workspace (after its credentials change). */
  invalidate(tenantId: string): void;
}

export function createResolver(deps: {
  pool: pg.Pool;
  key: CredentialKey;
  specs: { get(name: string): ProviderSpec | undefined };
  ttlMs?: number;
}): Resolver {
  // Failed lookups (provider_not_initialize, the database away) are not kept: the next call asks again.
  const cache = createPromiseCache<ResolvedModel>({
    ttlMs: deps.ttlMs ?? 2000,
    max: 1000,
    now: () => performance.now(),
  });

  const open = (tenantId: string, provider: string, encryptedConfig: string): Credentials => {
    try {
      return openCredentials({ key: deps.key, tenantId, encryptedConfig });
    } catch {
      throw new ModelRuntimeError(
        'provider_not_initialize',
        `The stored credentials of provider ${provider} cannot be decrypted: SECRET_KEY changed since they were saved. Save them again.`,
      );
    }
  };

  async function lookup(ref: ModelRef, type: ModelType): Promise<ResolvedModel> {
    const spec = deps.specs.get(ref.provider);
    if (!spec) throw new ModelRuntimeError('provider_not_initialize', `Provider ${ref.provider} does not exist.`);
    if (!spec.supported_model_types.includes(type))
      throw new ModelRuntimeError('provider_not_initialize', `Provider ${ref.provider} has no ${type} models.`);
    const custom = await customModel(deps.pool, ref.tenantId, ref.provider, ref.model, ORIGIN_MODEL_TYPE[type]);
    if (custom?.encrypted_config)
      return describeModel(spec, ref.model, type, open(ref.tenantId, ref.provider, custom.encrypted_config));
    if (spec.configurate_methods.includes('predefined-model')) {
      if (!spec.provider_credential_schema) return describeModel(spec, ref.model, type, {});
      const active = await activeCredential(deps.pool, { tenantId: ref.tenantId, provider: ref.provider });
      if (active)
        return describeModel(spec, ref.model, type, open(ref.tenantId, ref.provider, active.encrypted_config));
    }
    throw new ModelRuntimeError('provider_not_initialize', `Model ${ref.model} credentials is not initialized.`);
  }

  return {
    resolve: (ref, type) =>
      cache.get(`${ref.tenantId}\u0000${ref.provider}\u0000${ref.model}\u0000${type}`, () => lookup(ref, type)),
    invalidate(tenantId) {
      cache.forget((key) => key.startsWith(`${tenantId}\u0000`));
    },
  };
}
