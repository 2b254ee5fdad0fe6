/**
 * The console's model-provider operations for one workspace (Dify's ModelProviderService):
 * provider credentials (named, one active), custom models with their credentials, validation by a
 * real request, default models. Every write that stores credentials validates them first, as Dify
 * does; a failed check is a ModelConfigError `invalid_param` carrying the provider's complaint.
 */
import type pg from 'pg';
import { type Credentials, ORIGIN_MODEL_TYPE, type ProviderSpec } from './catalog-types.js';
import { modelsOf, providerHead, providerResponse, readWorkspace } from './catalog.js';
import { checkCredentials } from './calls.js';
import { ModelConfigError } from './config-error.js';
import {
  type CredentialScope,
  normalizeCredentials,
  obfuscateCredentials,
  openCredentials,
  sealCredentials,
} from './credentials.js';
import type { CallTimeouts } from './llm-call.js';
import type { Resolver } from './resolve.js';
import type { CredentialKey } from './secrets.js';
import * as store from './store.js';
import { ModelRuntimeError, type ModelType } from './types.js';

export interface WorkspaceDeps {
  pool: pg.Pool;
  key: CredentialKey;
  specs: { get(name: string): ProviderSpec | undefined; list(): ProviderSpec[] };
  resolver: Resolver;
  /** Bounds of the validation request. */
  checkTimeouts?: CallTimeouts;
}

export type ModelProviderService = ReturnType<typeof createModelProviderService>;

/** The name of a new credential: the one asked for (refused when taken), else the next free `API KEY n`. */
const newCredentialName = (names: string[], wanted?: string): string => {
  if (wanted && names.includes(wanted))
    throw new ModelConfigError('invalid_param', `Credential with name '${wanted}' already exists.`);
  if (wanted) return wanted;
  for (let n = names.length + 1; ; n++) if (!names.includes(`API KEY ${n}`)) return `API KEY ${n}`;
};

const credentialNotFound = () => new ModelConfigError('invalid_param', 'Credential record not found.');

export function createModelProviderService(deps: WorkspaceDeps) {
  const spec = (provider: string): ProviderSpec => {
    const found = deps.specs.get(provider);
    if (!found) throw new ModelConfigError('invalid_param', `Provider ${provider} does not exist.`);
    return found;
  };
  const open = (tenantId: string, row: { encrypted_config: string } | undefined): Credentials | undefined => {
    if (!row) return undefined;
    try {
      return openCredentials({ key: deps.key, tenantId, encryptedConfig: row.encrypted_config });
    } catch {
      throw new ModelConfigError(
        'invalid_param',
        'The stored credentials cannot be decrypted: SECRET_KEY changed since they were saved. Save them again.',
      );
    }
  };

  /** Normalizes, fills [__HIDDEN__] from `stored`, and checks with one real request. */
  async function prepare(input: {
    spec: ProviderSpec;
    scope: CredentialScope;
    credentials: Record<string, unknown>;
    stored?: Credentials;
    model?: string;
    type?: ModelType;
  }): Promise<Credentials> {
    const credentials = normalizeCredentials({
      spec: input.spec,
      scope: input.scope,
      credentials: input.credentials,
      stored: input.stored,
      modelType: input.type,
    });
    const type: ModelType = input.type ?? (input.spec.supported_model_types.includes('llm') ? 'llm' : 'text-embedding');
    const model =
      input.model ?? input.spec.validationModel?.[type] ?? input.spec.models.find((m) => m.model_type === type)?.model;
    if (!model) return credentials;
    try {
      await checkCredentials({
        spec: input.spec,
        credentials,
        model,
        type,
        ...(deps.checkTimeouts ? { timeouts: deps.checkTimeouts } : {}),
      });
    } catch (error) {
      if (error instanceof ModelRuntimeError || error instanceof ModelConfigError)
        throw new ModelConfigError('invalid_param', error.message);
      throw error;
    }
    return credentials;
  }

  const seal = (tenantId: string, s: ProviderSpec, scope: CredentialScope, credentials: Credentials): string =>
    sealCredentials({ key: deps.key, tenantId, spec: s, scope, credentials });

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
      const s = spec(provider);
      const row = credentialId
        ? await store.providerCredential(deps.pool, tenantId, provider, credentialId)
        : await store.activeProviderCredential(deps.pool, tenantId, provider);
      if (credentialId && !row) throw credentialNotFound();
      const credentials = open(tenantId, row);
      return credentials ? obfuscateCredentials(s, 'provider', credentials) : null;
    },

    /** POST credentials: validate, store as a new named credential, make it the active one. */
    async createProviderCredential(
      tenantId: string,
      provider: string,
      input: { credentials: Record<string, unknown>; name?: string },
    ) {
      const s = spec(provider);
      if (!s.provider_credential_schema)
        throw new ModelConfigError(
          'invalid_param',
          `Provider ${provider} is configured per model: use its models/credentials.`,
        );
      const stored = open(tenantId, await store.activeProviderCredential(deps.pool, tenantId, provider));
      const credentials = await prepare({ spec: s, scope: 'provider', credentials: input.credentials, stored });
      const id = await store.transaction(deps.pool, async (db) => {
        const names = (await store.listProviderCredentials(db, tenantId, provider)).map((c) => c.credential_name);
        const created = await store.insertProviderCredential(db, {
          tenantId,
          provider,
          name: newCredentialName(names, input.name),
          encryptedConfig: seal(tenantId, s, 'provider', credentials),
        });
        await store.activateProviderCredential(db, tenantId, provider, created);
        return created;
      });
      deps.resolver.invalidate(tenantId);
      return { credentialId: id };
    },

    /** PUT credentials: validate and replace a stored credential ([__HIDDEN__] keeps its secrets). */
    async updateProviderCredential(
      tenantId: string,
      provider: string,
      input: { credentialId: string; credentials: Record<string, unknown>; name?: string },
    ) {
      const s = spec(provider);
      const row = await store.providerCredential(deps.pool, tenantId, provider, input.credentialId);
      if (!row) throw credentialNotFound();
      const credentials = await prepare({
        spec: s,
        scope: 'provider',
        credentials: input.credentials,
        stored: open(tenantId, row),
      });
      await store.updateProviderCredential(deps.pool, {
        tenantId,
        provider,
        id: input.credentialId,
        name: input.name,
        encryptedConfig: seal(tenantId, s, 'provider', credentials),
      });
      deps.resolver.invalidate(tenantId);
    },

    /** DELETE credentials: one (credential_id) or, in Dify 0.15's form, all of the provider's. */
    async deleteProviderCredential(tenantId: string, provider: string, credentialId?: string) {
      spec(provider);
      const removed = await store.transaction(deps.pool, (db) =>
        store.deleteProviderCredentials(db, tenantId, provider, credentialId),
      );
      if (credentialId && !removed) throw credentialNotFound();
      deps.resolver.invalidate(tenantId);
    },

    async switchProviderCredential(tenantId: string, provider: string, credentialId: string) {
      spec(provider);
      if (!(await store.providerCredential(deps.pool, tenantId, provider, credentialId))) throw credentialNotFound();
      await store.activateProviderCredential(deps.pool, tenantId, provider, credentialId);
      deps.resolver.invalidate(tenantId);
    },

    /** POST credentials/validate: Dify's `{result: 'success'}` or `{result: 'error', error}`. */
    async validateProviderCredentials(tenantId: string, provider: string, credentials: Record<string, unknown>) {
      const s = spec(provider);
      try {
        const stored = open(tenantId, await store.activeProviderCredential(deps.pool, tenantId, provider));
        await prepare({ spec: s, scope: s.provider_credential_schema ? 'provider' : 'model', credentials, stored });
        return { result: 'success' as const };
      } catch (error) {
        if (error instanceof ModelConfigError)
          return { result: 'error' as const, error: error.message || 'Unknown error' };
        throw error;
      }
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
      const s = spec(provider);
      const origin = ORIGIN_MODEL_TYPE[input.type];
      const all = await store.listModelCredentials(deps.pool, tenantId, provider, input.model, origin);
      const current = await store.customModel(deps.pool, tenantId, provider, input.model, origin);
      const row = input.credentialId
        ? all.find((c) => c.id === input.credentialId)
        : all.find((c) => c.id === current?.credential_id);
      if (input.credentialId && !row) throw credentialNotFound();
      const credentials = open(tenantId, row);
      return {
        credentials: credentials ? obfuscateCredentials(s, 'model', credentials) : {},
        current_credential_id: current?.credential_id ?? null,
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
      const s = spec(provider);
      if (!s.model_credential_schema)
        throw new ModelConfigError('invalid_param', `Provider ${provider} has no customizable models.`);
      if (!s.supported_model_types.includes(input.type))
        throw new ModelConfigError('invalid_param', `Provider ${provider} has no ${input.type} models.`);
      const origin = ORIGIN_MODEL_TYPE[input.type];
      const current = await store.customModel(deps.pool, tenantId, provider, input.model, origin);
      const stored = current?.encrypted_config
        ? open(tenantId, { encrypted_config: current.encrypted_config })
        : undefined;
      const credentials = await prepare({
        spec: s,
        scope: 'model',
        credentials: input.credentials,
        stored,
        model: input.model,
        type: input.type,
      });
      const id = await store.transaction(deps.pool, async (db) => {
        const names = (await store.listModelCredentials(db, tenantId, provider, input.model, origin)).map(
          (c) => c.credential_name,
        );
        const created = await store.insertModelCredential(db, {
          tenantId,
          provider,
          model: input.model,
          originType: origin,
          name: newCredentialName(names, input.name),
          encryptedConfig: seal(tenantId, s, 'model', credentials),
        });
        await store.activateModelCredential(db, {
          tenantId,
          provider,
          model: input.model,
          originType: origin,
          credentialId: created,
        });
        return created;
      });
      deps.resolver.invalidate(tenantId);
      return { credentialId: id };
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
      const s = spec(provider);
      const origin = ORIGIN_MODEL_TYPE[input.type];
      const row = (await store.listModelCredentials(deps.pool, tenantId, provider, input.model, origin)).find(
        (c) => c.id === input.credentialId,
      );
      if (!row) throw credentialNotFound();
      const credentials = await prepare({
        spec: s,
        scope: 'model',
        credentials: input.credentials,
        stored: open(tenantId, row),
        model: input.model,
        type: input.type,
      });
      await store.updateModelCredential(deps.pool, {
        tenantId,
        provider,
        model: input.model,
        originType: origin,
        id: input.credentialId,
        name: input.name,
        encryptedConfig: seal(tenantId, s, 'model', credentials),
      });
      deps.resolver.invalidate(tenantId);
    },

    async deleteModelCredential(
      tenantId: string,
      provider: string,
      input: { model: string; type: ModelType; credentialId: string },
    ) {
      spec(provider);
      const removed = await store.transaction(deps.pool, (db) =>
        store.deleteModelCredential(db, {
          tenantId,
          provider,
          model: input.model,
          originType: ORIGIN_MODEL_TYPE[input.type],
          id: input.credentialId,
        }),
      );
      if (!removed) throw credentialNotFound();
      deps.resolver.invalidate(tenantId);
    },

    async switchModelCredential(
      tenantId: string,
      provider: string,
      input: { model: string; type: ModelType; credentialId: string },
    ) {
      spec(provider);
      const origin = ORIGIN_MODEL_TYPE[input.type];
      const all = await store.listModelCredentials(deps.pool, tenantId, provider, input.model, origin);
      if (!all.some((c) => c.id === input.credentialId)) throw credentialNotFound();
      await store.activateModelCredential(deps.pool, {
        tenantId,
        provider,
        model: input.model,
        originType: origin,
        credentialId: input.credentialId,
      });
      deps.resolver.invalidate(tenantId);
    },

    async validateModelCredentials(
      tenantId: string,
      provider: string,
      input: { model: string; type: ModelType; credentials: Record<string, unknown> },
    ) {
      const s = spec(provider);
      try {
        const current = await store.customModel(
          deps.pool,
          tenantId,
          provider,
          input.model,
          ORIGIN_MODEL_TYPE[input.type],
        );
        const stored = current?.encrypted_config
          ? open(tenantId, { encrypted_config: current.encrypted_config })
          : undefined;
        await prepare({
          spec: s,
          scope: 'model',
          credentials: input.credentials,
          stored,
          model: input.model,
          type: input.type,
        });
        return { result: 'success' as const };
      } catch (error) {
        if (error instanceof ModelConfigError)
          return { result: 'error' as const, error: error.message || 'Unknown error' };
        throw error;
      }
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
