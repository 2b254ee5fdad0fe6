/**
 * The console's model-provider operations for one workspace (Dify's ModelProviderService):
 * provider credentials (named, one active), custom models with their credentials, validation by a
 * real request, default models. The credential operations are credential-flows.ts's, for a
 * provider or a custom model as the owner.
 */
import { ORIGIN_MODEL_TYPE, type ProviderSpec } from './catalog-types.js';
import { modelsOf, providerHead, providerResponse, readWorkspace } from './catalog.js';
import { ModelConfigError } from './config-error.js';
import { credentialFlows, credentialNotFound, type CredentialTarget, type WorkspaceDeps } from './credential-flows.js';
import { activeCredential, findCredential, listCredentials } from './credential-store.js';
import { obfuscateCredentials } from './credentials.js';
import * as store from './store.js';
import type { ModelType } from './types.js';

export type ModelProviderService = ReturnType<typeof createModelProviderService>;

export function createModelProviderService(deps: WorkspaceDeps) {
  const flows = credentialFlows(deps);
  const spec = (provider: string): ProviderSpec => {
    const found = deps.specs.get(provider);
    if (!found) throw new ModelConfigError('invalid_param', `Provider ${provider} does not exist.`);
    return found;
  };
  /** A provider's own credentials. */
  const ofProvider = (tenantId: string, provider: string): CredentialTarget => ({
    spec: spec(provider),
    owner: { tenantId, provider },
    scope: 'provider',
  });
  /** One custom model's credentials. */
  const ofModel = (
    tenantId: string,
    provider: string,
    input: { model: string; type: ModelType },
  ): CredentialTarget => ({
    spec: spec(provider),
    owner: { tenantId, provider, model: input.model, originType: ORIGIN_MODEL_TYPE[input.type] },
    scope: 'model',
    model: input.model,
    type: input.type,
  });

  return {
    /** GET model-providers: every provider with this workspace's configuration. */
    async listProviders(tenantId: string, modelType?: ModelType) {
      const state = await readWorkspace(deps.pool, tenantId);
      return deps.specs
        .list()
        .filter((s) => !modelType || s.supported_model_types.includes(modelType))
        .map((s) => providerResponse(tenantId, s, state));
    },

    /** GET credentials: the active (or the given) credential, obfuscated; null when none. */
    async providerCredentials(tenantId: string, provider: string, credentialId?: string) {
      const { spec: s, owner } = ofProvider(tenantId, provider);
      const row = credentialId
        ? await findCredential(deps.pool, owner, credentialId)
        : await activeCredential(deps.pool, owner);
      if (credentialId && !row) throw credentialNotFound();
      const credentials = flows.open(tenantId, row);
      return credentials ? obfuscateCredentials(s, 'provider', credentials) : null;
    },

    /** POST credentials: validate, store as a new named credential, make it the active one. */
    async createProviderCredential(
      tenantId: string,
      provider: string,
      input: { credentials: Record<string, unknown>; name?: string },
    ) {
      const target = ofProvider(tenantId, provider);
      if (!target.spec.provider_credential_schema)
        throw new ModelConfigError(
          'invalid_param',
          `Provider ${provider} is configured per model: use its models/credentials.`,
        );
      return flows.create(target, input);
    },

    /** PUT credentials: validate and replace a stored credential ([__HIDDEN__] keeps its secrets). */
    async updateProviderCredential(
      tenantId: string,
      provider: string,
      input: { credentialId: string; credentials: Record<string, unknown>; name?: string },
    ) {
      await flows.update(ofProvider(tenantId, provider), input);
    },

    /** DELETE credentials: one (credential_id) or, in Dify 0.15's form, all of the provider's. */
    async deleteProviderCredential(tenantId: string, provider: string, credentialId?: string) {
      await flows.remove(ofProvider(tenantId, provider).owner, credentialId);
    },

    async switchProviderCredential(tenantId: string, provider: string, credentialId: string) {
      await flows.switchTo(ofProvider(tenantId, provider).owner, credentialId);
    },

    /** POST credentials/validate: Dify's `{result: 'success'}` or `{result: 'error', error}`. */
    async validateProviderCredentials(tenantId: string, provider: string, credentials: Record<string, unknown>) {
      const target = ofProvider(tenantId, provider);
      const scope = target.spec.provider_credential_schema ? 'provider' : 'model';
      return flows.validate({ ...target, scope }, credentials);
    },

    /** GET model-providers/<p>/models. */
    async providerModels(tenantId: string, provider: string) {
      const s = spec(provider);
      return modelsOf(s, await readWorkspace(deps.pool, tenantId, provider));
    },

    /** GET models/model-types/<type>: providers having models of the type, with their models. */
    async modelsOfType(tenantId: string, type: ModelType) {
      const state = await readWorkspace(deps.pool, tenantId);
      return deps.specs
        .list()
        .filter((s) => s.supported_model_types.includes(type))
        .map((s) => ({ spec: s, models: modelsOf(s, state, type) }))
        .filter((p) => p.models.length > 0)
        .map(({ spec: s, models }) => ({ ...providerHead(tenantId, s), status: 'active' as const, models }));
    },

    /** GET models/credentials: a custom model's active (or given) credential and the others. */
    async modelCredentials(
      tenantId: string,
      provider: string,
      input: { model: string; type: ModelType; credentialId?: string },
    ) {
      const { spec: s, owner } = ofModel(tenantId, provider, input);
      const all = await listCredentials(deps.pool, owner);
      const current = await activeCredential(deps.pool, owner);
      const row = input.credentialId ? all.find((c) => c.id === input.credentialId) : current;
      if (input.credentialId && !row) throw credentialNotFound();
      const credentials = flows.open(tenantId, row);
      return {
        credentials: credentials ? obfuscateCredentials(s, 'model', credentials) : {},
        current_credential_id: current?.id ?? null,
        current_credential_name: current?.credential_name ?? null,
        load_balancing: { enabled: false, configs: [] },
        available_credentials: all.map((c) => ({ credential_id: c.id, credential_name: c.credential_name })),
      };
    },

    /** POST models/credentials (and 0.15's POST models with credentials): validate, store, activate. */
    async createModelCredential(
      tenantId: string,
      provider: string,
      input: { model: string; type: ModelType; credentials: Record<string, unknown>; name?: string },
    ) {
      const target = ofModel(tenantId, provider, input);
      if (!target.spec.model_credential_schema)
        throw new ModelConfigError('invalid_param', `Provider ${provider} has no customizable models.`);
      if (!target.spec.supported_model_types.includes(input.type))
        throw new ModelConfigError('invalid_param', `Provider ${provider} has no ${input.type} models.`);
      return flows.create(target, input);
    },

    async updateModelCredential(
      tenantId: string,
      provider: string,
      input: {
        model: string;
        type: ModelType;
        credentialId: string;
        credentials: Record<string, unknown>;
        name?: string;
      },
    ) {
      await flows.update(ofModel(tenantId, provider, input), input);
    },

    async deleteModelCredential(
      tenantId: string,
      provider: string,
      input: { model: string; type: ModelType; credentialId: string },
    ) {
      await flows.remove(ofModel(tenantId, provider, input).owner, input.credentialId);
    },

    async switchModelCredential(
      tenantId: string,
      provider: string,
      input: { model: string; type: ModelType; credentialId: string },
    ) {
      await flows.switchTo(ofModel(tenantId, provider, input).owner, input.credentialId);
    },

    async validateModelCredentials(
      tenantId: string,
      provider: string,
      input: { model: string; type: ModelType; credentials: Record<string, unknown> },
    ) {
      return flows.validate(ofModel(tenantId, provider, input), input.credentials);
    },

    /** DELETE models: the custom model and its credentials. */
    async deleteCustomModel(tenantId: string, provider: string, input: { model: string; type: ModelType }) {
      spec(provider);
      await store.transaction(deps.pool, (db) =>
        store.deleteCustomModel(db, {
          tenantId,
          provider,
          model: input.model,
          originType: ORIGIN_MODEL_TYPE[input.type],
        }),
      );
      deps.resolver.invalidate(tenantId);
    },

    /** POST default-model: each setting must name an active model, as Dify checks. */
    async setDefaultModels(
      tenantId: string,
      settings: Array<{ model_type: ModelType; provider?: string | null; model: string }>,
    ) {
      const state = await readWorkspace(deps.pool, tenantId);
      for (const setting of settings) {
        if (!setting.provider) continue;
        const s = spec(setting.provider);
        const active = modelsOf(s, state, setting.model_type).filter((m) => m.status === 'active');
        if (!active.some((m) => m.model === setting.model))
          throw new ModelConfigError('invalid_param', `Model ${setting.model} does not exist.`);
        await store.setDefaultModelRow(deps.pool, {
          tenantId,
          provider: setting.provider,
          model: setting.model,
          originType: ORIGIN_MODEL_TYPE[setting.model_type],
        });
      }
    },
  };
}
