/**
 * The console's credential operations, written once for both owners Dify has: a provider's
 * credentials and a custom model's (credential-store.ts holds the two tables behind one owner key).
 * Every write that stores credentials validates them first with one real request, as Dify does; a
 * failed check is a ModelConfigError `invalid_param` carrying the provider's complaint.
 */
import type pg from 'pg';
import type { Credentials, ProviderSpec } from './catalog-types.js';
import { checkCredentials } from './calls.js';
import { ModelConfigError } from './config-error.js';
import {
  activateCredential,
  activeCredential,
  type CredentialOwner,
  deleteCredentials,
  findCredential,
  insertCredential,
  listCredentials,
  updateCredential,
} from './credential-store.js';
import { type CredentialScope, normalizeCredentials, openCredentials, sealCredentials } from './credentials.js';
import type { CallTimeouts } from './llm-call.js';
import type { Resolver } from './resolve.js';
import type { CredentialKey } from './secrets.js';
import { transaction } from './store.js';
import { ModelRuntimeError, type ModelType } from './types.js';

export interface WorkspaceDeps {
  pool: pg.Pool;
  key: CredentialKey;
  specs: { get(name: string): ProviderSpec | undefined; list(): ProviderSpec[] };
  resolver: Resolver;
  /** Bounds of the validation request. */
  checkTimeouts?: CallTimeouts;
}

/** Whose credentials, and how they are checked: the form they fill and the model a check asks. */
export interface CredentialTarget {
  spec: ProviderSpec;
  owner: CredentialOwner;
  scope: CredentialScope;
  /** A custom model's name and type; a provider's check asks its validation model. */
  model?: string;
  type?: ModelType;
}

/** The name of a new credential: the one asked for (refused when taken), else the next free `API KEY n`. */
const newCredentialName = (names: string[], wanted?: string): string => {
  if (wanted && names.includes(wanted))
    throw new ModelConfigError('invalid_param', `Credential with name '${wanted}' already exists.`);
  if (wanted) return wanted;
  for (let n = names.length + 1; ; n++) if (!names.includes(`API KEY ${n}`)) return `API KEY ${n}`;
};

export const credentialNotFound = () => new ModelConfigError('invalid_param', 'Credential record not found.');

export function credentialFlows(deps: WorkspaceDeps) {
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
  async function prepare(
    target: CredentialTarget,
    input: Record<string, unknown>,
    stored: Credentials | undefined,
  ): Promise<Credentials> {
    const { spec, scope } = target;
    const credentials = normalizeCredentials({ spec, scope, credentials: input, stored, modelType: target.type });
    const type: ModelType = target.type ?? (spec.supported_model_types.includes('llm') ? 'llm' : 'text-embedding');
    const model = target.model ?? spec.validationModel?.[type] ?? spec.models.find((m) => m.model_type === type)?.model;
    if (!model) return credentials;
    try {
      await checkCredentials({
        spec,
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

  const seal = (target: CredentialTarget, credentials: Credentials): string =>
    sealCredentials({
      key: deps.key,
      tenantId: target.owner.tenantId,
      spec: target.spec,
      scope: target.scope,
      credentials,
    });

  /** The owner's active credential, opened (undefined when none). */
  const activeOf = async (owner: CredentialOwner): Promise<Credentials | undefined> =>
    open(owner.tenantId, await activeCredential(deps.pool, owner));

  return {
    open,

    /** Validates, stores as a new named credential, makes it the active one. */
    async create(target: CredentialTarget, input: { credentials: Record<string, unknown>; name?: string }) {
      const credentials = await prepare(target, input.credentials, await activeOf(target.owner));
      const id = await transaction(deps.pool, async (db) => {
        const names = (await listCredentials(db, target.owner)).map((c) => c.credential_name);
        const created = await insertCredential(db, target.owner, {
          name: newCredentialName(names, input.name),
          encryptedConfig: seal(target, credentials),
        });
        await activateCredential(db, target.owner, created);
        return created;
      });
      deps.resolver.invalidate(target.owner.tenantId);
      return { credentialId: id };
    },

    /** Validates and replaces a stored credential ([__HIDDEN__] keeps its secrets). */
    async update(
      target: CredentialTarget,
      input: { credentialId: string; credentials: Record<string, unknown>; name?: string },
    ) {
      const row = await findCredential(deps.pool, target.owner, input.credentialId);
      if (!row) throw credentialNotFound();
      const credentials = await prepare(target, input.credentials, open(target.owner.tenantId, row));
      await updateCredential(deps.pool, target.owner, {
        id: input.credentialId,
        name: input.name,
        encryptedConfig: seal(target, credentials),
      });
      deps.resolver.invalidate(target.owner.tenantId);
    },

    /** Deletes one credential (or, without an id, all of the owner's). */
    async remove(owner: CredentialOwner, credentialId?: string) {
      const removed = await transaction(deps.pool, (db) => deleteCredentials(db, owner, credentialId));
      if (credentialId && !removed) throw credentialNotFound();
      deps.resolver.invalidate(owner.tenantId);
    },

    /** Makes another of the owner's credentials the active one. */
    async switchTo(owner: CredentialOwner, credentialId: string) {
      if (!(await findCredential(deps.pool, owner, credentialId))) throw credentialNotFound();
      await activateCredential(deps.pool, owner, credentialId);
      deps.resolver.invalidate(owner.tenantId);
    },

    /** Dify's `{result: 'success'}` or `{result: 'error', error}`; nothing is stored. */
    async validate(target: CredentialTarget, credentials: Record<string, unknown>) {
      try {
        await prepare(target, credentials, await activeOf(target.owner));
        return { result: 'success' as const };
      } catch (error) {
        if (error instanceof ModelConfigError)
          return { result: 'error' as const, error: error.message || 'Unknown error' };
        throw error;
      }
    },
  };
}
