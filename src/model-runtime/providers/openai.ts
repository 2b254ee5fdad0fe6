import type { ProviderSpec } from '../catalog-types.js';
import { contextSizeOf } from '../prices.js';
import { i18n, secret, str, text, trimUrl } from './form.js';
import { sdkModels } from './sdk-models.js';

const CHAT = [
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-4.1',
  'gpt-4.1-mini',
  'gpt-4.1-nano',
  'o1',
  'o3-mini',
  'gpt-4-turbo',
  'gpt-4',
  'gpt-3.5-turbo',
];
const EMBEDDING = ['text-embedding-3-small', 'text-embedding-3-large', 'text-embedding-ada-002'];

async function client(credentials: Record<string, unknown>, fetch?: typeof globalThis.fetch) {
  const { createOpenAI } = await import('@ai-sdk/openai');
  return createOpenAI({
    fetch,
    apiKey: str(credentials.openai_api_key) ?? '',
    // Dify's openai_api_base is the host (https://api.openai.com); the SDK wants …/v1.
    baseURL: withV1(trimUrl(credentials.openai_api_base)),
    organization: str(credentials.openai_organization),
  });
}

export function withV1(base: string | undefined): string | undefined {
  if (!base) return undefined;
  return base.endsWith('/v1') ? base : `${base}/v1`;
}

/** OpenAI (Dify's `openai`): predefined models, provider-level credentials. */
export const openaiProvider: ProviderSpec = {
  provider: 'openai',
  label: i18n('OpenAI'),
  description: i18n('Models provided by OpenAI, such as GPT-4o and text-embedding-3.'),
  supported_model_types: ['llm', 'text-embedding'],
  configurate_methods: ['predefined-model', 'customizable-model'],
  provider_credential_schema: {
    credential_form_schemas: [
      secret('openai_api_key', 'API Key', { required: true, placeholder: 'Enter your API Key' }),
      text('openai_organization', 'Organization', { placeholder: 'Enter your Organization ID' }),
      text('openai_api_base', 'API Base', { placeholder: 'Enter your API Base, e.g. https://api.openai.com' }),
    ],
  },
  models: [
    ...CHAT.map((model) => ({
      model,
      model_type: 'llm' as const,
      mode: 'chat' as const,
      context_size: contextSizeOf(model),
    })),
    { model: 'gpt-3.5-turbo-instruct', model_type: 'llm', mode: 'completion', context_size: 4096 },
    ...EMBEDDING.map((model) => ({ model, model_type: 'text-embedding' as const, context_size: 8191 })),
  ],
  validationModel: { llm: 'gpt-4o-mini', 'text-embedding': 'text-embedding-3-small' },
  credentialAliases: { api_key: 'openai_api_key' },
  source: 'builtin',
  ...sdkModels(client),
};
