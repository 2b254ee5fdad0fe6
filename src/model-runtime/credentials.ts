/**
 * Credentials through a provider's form schema, as Dify's credential schema validator does: keep
 * only the form's variables (aliases accepted), fill defaults, require required ones, check select
 * options; `[__HIDDEN__]` in a secret field keeps the stored value. Secret fields (`secret-input`)
 * are encrypted at rest and obfuscated on read; other fields are stored as they are.
 */
import type { CredentialFormSchema, Credentials, ProviderSpec } from './catalog-types.js';
import { ModelConfigError } from './config-error.js';
import {
  type CredentialKey,
  HIDDEN_VALUE,
  decryptSecret,
  encryptSecret,
  isEncrypted,
  obfuscateToken,
} from './secrets.js';
import type { ModelType } from './types.js';

export type CredentialScope = 'provider' | 'model';

export function formOf(spec: ProviderSpec, scope: CredentialScope): CredentialFormSchema[] {
  return (
    (scope === 'provider' ? spec.provider_credential_schema : spec.model_credential_schema)?.credential_form_schemas ??
    []
  );
}

const shown = (field: { show_on: Array<{ variable: string; value: string }> }, modelType?: ModelType): boolean =>
  field.show_on.every((rule) => rule.variable !== '__model_type' || !modelType || rule.value === modelType);

function asText(variable: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ModelConfigError('invalid_param', `Variable ${variable} should be string`);
}

/**
 * Validates and filters credentials from a request. `stored` (decrypted) supplies `[__HIDDEN__]`
 * secrets. @throws ModelConfigError invalid_param naming the variable
 */
export function normalizeCredentials(input: {
  spec: ProviderSpec;
  scope: CredentialScope;
  credentials: Record<string, unknown>;
  stored?: Credentials;
  modelType?: ModelType;
}): Credentials {
  const { spec, scope, stored, modelType } = input;
  const raw: Record<string, unknown> = { ...input.credentials };
  for (const [alias, variable] of Object.entries(spec.credentialAliases ?? {})) {
    if (raw[variable] === undefined && raw[alias] !== undefined) raw[variable] = raw[alias];
  }
  const out: Credentials = {};
  for (const field of formOf(spec, scope)) {
    if (!shown(field, modelType)) continue;
    let value = raw[field.variable];
    if (field.type === 'secret-input' && value === HIDDEN_VALUE) {
      value = stored?.[field.variable];
      if (value === undefined)
        throw new ModelConfigError(
          'invalid_param',
          `Variable ${field.variable}: ${HIDDEN_VALUE} given but no value is stored to keep`,
        );
    }
    if (value === undefined || value === null || value === '') {
      if (field.default !== undefined && field.default !== null && field.default !== '') value = field.default;
      else if (field.required) throw new ModelConfigError('invalid_param', `Variable ${field.variable} is required`);
      else continue;
    }
    if (field.type === 'switch') {
      out[field.variable] = value === true || value === 'true';
      continue;
    }
    const text = asText(field.variable, value);
    if (field.max_length && text.length > field.max_length)
      throw new ModelConfigError(
        'invalid_param',
        `Variable ${field.variable} length should not be greater than ${field.max_length}`,
      );
    if ((field.type === 'select' || field.type === 'radio') && field.options?.length) {
      const allowed = field.options.filter((o) => shown(o, modelType)).map((o) => o.value);
      if (!allowed.includes(text))
        throw new ModelConfigError(
          'invalid_param',
          `Variable ${field.variable} is not in options (${allowed.join(', ')})`,
        );
    }
    out[field.variable] = text;
  }
  return out;
}

const secretsOf = (spec: ProviderSpec, scope: CredentialScope): Set<string> =>
  new Set(
    formOf(spec, scope)
      .filter((f) => f.type === 'secret-input')
      .map((f) => f.variable),
  );

/** The JSON text stored in `encrypted_config`: secret fields encrypted for this tenant. */
export function sealCredentials(input: {
  key: CredentialKey;
  tenantId: string;
  spec: ProviderSpec;
  scope: CredentialScope;
  credentials: Credentials;
}): string {
  const secrets = secretsOf(input.spec, input.scope);
  const sealed: Credentials = {};
  for (const [name, value] of Object.entries(input.credentials)) {
    sealed[name] =
      secrets.has(name) && typeof value === 'string' && value ? encryptSecret(input.key, value, input.tenantId) : value;
  }
  return JSON.stringify(sealed);
}

/** `encrypted_config` → credentials in clear. @throws Error when a secret cannot be decrypted */
export function openCredentials(input: { key: CredentialKey; tenantId: string; encryptedConfig: string }): Credentials {
  const parsed = JSON.parse(input.encryptedConfig) as Credentials;
  const out: Credentials = {};
  for (const [name, value] of Object.entries(parsed))
    out[name] = isEncrypted(value) ? decryptSecret(input.key, value, input.tenantId) : value;
  return out;
}

/** Credentials for display: secret fields as Dify's obfuscated token. */
export function obfuscateCredentials(
  spec: ProviderSpec,
  scope: CredentialScope,
  credentials: Credentials,
): Credentials {
  const secrets = secretsOf(spec, scope);
  const out: Credentials = {};
  for (const [name, value] of Object.entries(credentials))
    out[name] = secrets.has(name) && typeof value === 'string' ? obfuscateToken(value) : value;
  return out;
}
