import type { ProviderSpec } from '../catalog-types.js';
import { i18n, secret, str, text, trimUrl } from './form.js';
import { withV1 } from './openai.js';

const MODELS = [
  'claude-sonnet-4-0',
  'claude-opus-4-0',
  'claude-3-7-sonnet-latest',
  'claude-3-5-sonnet-latest',
  'claude-3-5-haiku-latest',
  'claude-3-opus-latest',
  'claude-3-haiku-20240307',
];

/** Anthropic (Dify's `anthropic`): predefined chat models, provider-level credentials. */
export const anthropicProvider: ProviderSpec = {
  provider: 'anthropic',
  label: i18n('Anthropic'),
  description: i18n("Anthropic's Claude models."),
  supported_model_types: ['llm'],
  configurate_methods: ['predefined-model'],
  provider_credential_schema: {
    credential_form_schemas: [
      secret('anthropic_api_key', 'API Key', { required: true, placeholder: 'Enter your API Key' }),
      text('anthropic_api_url', 'API URL', { placeholder: 'Enter your API URL, e.g. https://api.anthropic.com' }),
    ],
  },
  models: MODELS.map((model) => ({ model, model_type: 'llm', mode: 'chat', context_size: 200_000 })),
  validationModel: { llm: 'claude-3-5-haiku-latest' },
  credentialAliases: { api_key: 'anthropic_api_key' },
  source: 'builtin',
  languageModel: async ({ credentials, model, fetch }) => {
    const { createAnthropic } = await import('@ai-sdk/anthropic');
    // Dify's anthropic_api_url is the host, as the Anthropic SDK takes it; the AI SDK wants …/v1.
    return createAnthropic({
      apiKey: str(credentials.anthropic_api_key) ?? '',
      baseURL: withV1(trimUrl(credentials.anthropic_api_url)),
      fetch,
    }).messages(model);
  },
};
