/**
 * Model providers of the workspace: list them, add credentials (the provider's, or a customizable
 * model's with its credentials, as Dify's console does) and make a model the workspace default.
 * Credentials use Dify's variable names (`endpoint_url`, `api_key`, `openai_api_key`…).
 */
import { usageError } from '../errors/index.js';
import type { ConsoleClient } from './http.js';

interface FormField {
  variable: string;
  type: string;
  required: boolean;
}

export interface ProviderInfo {
  provider: string;
  label: { en_US: string };
  supported_model_types: string[];
  configurate_methods: string[];
  provider_credential_schema: { credential_form_schemas: FormField[] } | null;
  model_credential_schema: { credential_form_schemas: FormField[] } | null;
  custom_configuration: { status: string; custom_models: Array<{ model: string; model_type: string }> };
}

export async function listProviders(client: ConsoleClient): Promise<ProviderInfo[]> {
  return (await client.call<{ data: ProviderInfo[] }>('GET', '/workspaces/current/model-providers')).data;
}

async function providerInfo(client: ConsoleClient, provider: string): Promise<ProviderInfo> {
  const all = await listProviders(client);
  const found = all.find((p) => p.provider === provider);
  if (!found)
    throw usageError(`unknown provider "${provider}"`, {
      hint: `Providers here: ${all.map((p) => p.provider).join(', ')}.`,
    });
  return found;
}

/** Per model (openai_api_compatible, ollama, azure_openai) or per provider (openai, anthropic). */
const perModel = (info: ProviderInfo) =>
  !info.configurate_methods.includes('predefined-model') || !info.provider_credential_schema;

/** The variable of the provider's secret field (`api_key`, `openai_api_key`…), where `--api-key-stdin` goes. */
export function secretField(info: ProviderInfo): string | undefined {
  const form =
    (perModel(info) ? info.model_credential_schema : info.provider_credential_schema)?.credential_form_schemas ?? [];
  return form.find((f) => f.type === 'secret-input')?.variable;
}

export interface AddProviderInput {
  provider: string;
  /** Dify's credential variables; `apiKey` goes to the provider's secret field. */
  credentials?: Record<string, string>;
  apiKey?: string;
  /** Required for per-model providers; for others, the model to make the default. */
  model?: string;
  /** @default 'llm' */
  modelType?: 'llm' | 'text-embedding';
  /** Make the model the workspace's default of its type. @default true */
  setDefault?: boolean;
}

export interface AddedProvider {
  provider: string;
  model?: string;
  modelType: string;
  scope: 'provider' | 'model';
  isDefault: boolean;
}

export async function addProvider(client: ConsoleClient, input: AddProviderInput): Promise<AddedProvider> {
  const info = await providerInfo(client, input.provider);
  const credentials: Record<string, string> = { ...input.credentials };
  const modelType = input.modelType ?? 'llm';
  if (input.apiKey !== undefined) {
    const field = secretField(info);
    if (!field) throw usageError(`provider ${input.provider} takes no API key`);
    credentials[field] = input.apiKey;
  }
  const base = `/workspaces/current/model-providers/${encodeURIComponent(input.provider)}`;
  const scope = perModel(info) ? 'model' : 'provider';
  if (scope === 'model') {
    if (!input.model) throw usageError(`provider ${input.provider} is configured per model: name it with --model`);
    await client.call('POST', `${base}/models`, { model: input.model, model_type: modelType, credentials });
  } else {
    await client.call('POST', `${base}/credentials`, { credentials });
  }
  const isDefault = Boolean(input.model) && input.setDefault !== false;
  if (isDefault) {
    await client.call('POST', '/workspaces/current/default-model', {
      model_settings: [{ model_type: modelType, provider: input.provider, model: input.model }],
    });
  }
  return { provider: input.provider, model: input.model, modelType, scope, isDefault };
}

/** Removes a custom model (`model`), else all of the provider's credentials and custom models. */
export async function removeProvider(
  client: ConsoleClient,
  input: { provider: string; model?: string; modelType?: string },
): Promise<{ removed: string[] }> {
  const info = await providerInfo(client, input.provider);
  const base = `/workspaces/current/model-providers/${encodeURIComponent(input.provider)}`;
  const models = info.custom_configuration.custom_models.filter(
    (m) => !input.model || (m.model === input.model && (!input.modelType || m.model_type === input.modelType)),
  );
  if (input.model && !models.length) throw usageError(`provider ${input.provider} has no model "${input.model}"`);
  const removed: string[] = [];
  for (const m of models) {
    await client.call('DELETE', `${base}/models`, { model: m.model, model_type: m.model_type });
    removed.push(`${input.provider}/${m.model}`);
  }
  if (!input.model && info.provider_credential_schema && info.custom_configuration.status === 'active') {
    await client.call('DELETE', `${base}/credentials`, {});
    removed.push(input.provider);
  }
  return { removed };
}

/** The workspace's default model of a type, or null. */
export async function defaultModel(
  client: ConsoleClient,
  modelType = 'llm',
): Promise<{ provider: string; model: string } | null> {
  const { data } = await client.call<{ data: { model: string; provider: { provider: string } } | null }>(
    'GET',
    `/workspaces/current/default-model?model_type=${modelType}`,
  );
  return data ? { provider: data.provider.provider, model: data.model } : null;
}

/** A model's properties (mode, context size) from its provider's list. */
export async function modelMode(
  client: ConsoleClient,
  provider: string,
  model: string,
): Promise<'chat' | 'completion'> {
  const { data } = await client.call<{
    data: Array<{ model: string; model_type: string; model_properties: { mode?: string } }>;
  }>('GET', `/workspaces/current/model-providers/${encodeURIComponent(provider)}/models`);
  const found = data.find((m) => m.model === model && m.model_type === 'llm');
  return found?.model_properties.mode === 'completion' ? 'completion' : 'chat';
}
