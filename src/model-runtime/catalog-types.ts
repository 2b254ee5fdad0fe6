/**
 * (Built-in providers import their AI SDK package when a model is first asked for, so that loading
 * the runtime — every api and worker start — does not load the SDKs.)
 *
 * What a provider is, as Dify's console describes it (core/model_runtime/entities/provider_entities.py):
 * labels, supported model types, how it is configured, and the credential forms with Dify's
 * variable names. Built-in providers and plugins both produce a `ProviderSpec`.
 */
import type { EmbeddingModel, LanguageModel } from 'ai';
import type { LlmMode, ModelType } from './types.js';

export interface I18n {
  en_US: string;
  zh_Hans?: string;
}

export type ConfigurateMethod = 'predefined-model' | 'customizable-model' | 'fetch-from-remote';

export interface FormShowOn {
  variable: string;
  value: string;
}

export interface CredentialFormSchema {
  variable: string;
  label: I18n;
  type: 'text-input' | 'secret-input' | 'select' | 'radio' | 'switch';
  required: boolean;
  default?: string | null;
  options?: Array<{ label: I18n; value: string; show_on: FormShowOn[] }>;
  placeholder?: I18n | null;
  max_length?: number;
  show_on: FormShowOn[];
}

export interface ProviderCredentialSchema {
  credential_form_schemas: CredentialFormSchema[];
}

export interface ModelCredentialSchema {
  model: { label: I18n; placeholder?: I18n | null };
  credential_form_schemas: CredentialFormSchema[];
}

/** A model the provider offers without configuration per model (Dify's predefined models). */
export interface PredefinedModel {
  model: string;
  model_type: ModelType;
  /** llm only. @default 'chat' */
  mode?: LlmMode;
  context_size?: number;
  label?: I18n;
  features?: string[];
}

/** Credentials as decrypted: Dify's variable names to values (text inputs are strings). */
export type Credentials = Record<string, unknown>;

export interface ProviderSpec {
  provider: string;
  label: I18n;
  description?: I18n;
  icon_small?: I18n;
  icon_large?: I18n;
  background?: string;
  help?: { title: I18n; url: I18n };
  supported_model_types: ModelType[];
  configurate_methods: ConfigurateMethod[];
  provider_credential_schema?: ProviderCredentialSchema;
  model_credential_schema?: ModelCredentialSchema;
  models: PredefinedModel[];
  /** Models Dify's provider-level validation sends its one small request to, by type. */
  validationModel?: Partial<Record<ModelType, string>>;
  /** Input aliases accepted for credential variables (e.g. `api_key` for `openai_api_key`). */
  credentialAliases?: Record<string, string>;
  /** Where it comes from: built in, or the plugin file. */
  source: 'builtin' | string;
  /**
   * An AI SDK language model for these credentials. `fetch`, when given, must be passed to the SDK
   * provider: completion mode uses it to send Dify's prompt as is (the SDK would add role labels).
   */
  languageModel(input: {
    credentials: Credentials;
    model: string;
    mode: LlmMode;
    fetch?: typeof globalThis.fetch;
  }): LanguageModel | Promise<LanguageModel>;
  /** An AI SDK embedding model, if the provider has text-embedding. */
  /** An AI SDK embedding model; `fetch`, when given, must be passed to the SDK as for languageModel. */
  embeddingModel?(input: {
    credentials: Credentials;
    model: string;
    fetch?: typeof globalThis.fetch;
  }): EmbeddingModel | Promise<EmbeddingModel>;
}

/** Dify's stored ("origin") model type names (provider_models, tenant_default_models). */
export const ORIGIN_MODEL_TYPE: Record<ModelType, string> = { llm: 'text-generation', 'text-embedding': 'embeddings' };

export function modelTypeFromOrigin(origin: string): ModelType | undefined {
  if (origin === 'text-generation' || origin === 'llm') return 'llm';
  if (origin === 'embeddings' || origin === 'text-embedding') return 'text-embedding';
  return undefined;
}
