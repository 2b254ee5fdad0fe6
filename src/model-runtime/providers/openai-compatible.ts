import type { Credentials, ProviderSpec } from '../catalog-types.js';
import { i18n, modeAndContextSize, onLlm, secret, str, text, trimUrl } from './form.js';
import { withWholeChat } from './whole-chat.js';

const NAME = 'openai_api_compatible';

/** Where the credentials point: Dify's endpoint_url includes the version path (https://api.example.com/v1);
 * Dify appends chat/completions, completions or embeddings to it, and so does the SDK. */
const endpointOf = (credentials: Credentials) => ({
  baseURL: trimUrl(credentials.endpoint_url) ?? '',
  apiKey: str(credentials.api_key),
});

async function client(credentials: Credentials, fetch?: typeof globalThis.fetch) {
  const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
  return createOpenAICompatible({ fetch, name: NAME, ...endpointOf(credentials), includeUsage: true });
}

/** The model name sent upstream: endpoint_model_name when set, else the model's name in Dify. */
const upstreamName = (credentials: Credentials, model: string): string => str(credentials.endpoint_model_name) ?? model;

/** OpenAI-API-compatible (Dify's `openai_api_compatible`): any server speaking OpenAI's API. */
export const openaiCompatibleProvider: ProviderSpec = {
  provider: NAME,
  label: i18n('OpenAI-API-compatible'),
  description: i18n(
    "All model providers compatible with OpenAI's API standard, such as vLLM, LM Studio or Together.ai.",
  ),
  supported_model_types: ['llm', 'text-embedding'],
  configurate_methods: ['customizable-model'],
  model_credential_schema: {
    model: { label: i18n('Model Name'), placeholder: i18n('Enter full model name') },
    credential_form_schemas: [
      text('display_name', 'Model display name', { placeholder: 'The display name of the model in the interface.' }),
      secret('api_key', 'API Key', { placeholder: 'Enter your API Key' }),
      text('endpoint_url', 'API endpoint URL', {
        required: true,
        placeholder: 'Base URL, e.g. https://api.openai.com/v1',
      }),
      text('endpoint_model_name', 'API endpoint model name', {
        placeholder: 'Model name sent to the endpoint, if it differs',
      }),
      ...modeAndContextSize(),
      text('max_tokens_to_sample', 'Upper bound for max tokens', { default: '4096', showOn: onLlm }),
    ],
  },
  models: [],
  source: 'builtin',
  languageModel: async ({ credentials, model, mode, fetch }) => {
    const sdk = await client(credentials, fetch);
    const modelId = upstreamName(credentials, model);
    if (mode === 'completion') return sdk.completionModel(modelId);
    return withWholeChat(sdk.chatModel(modelId), { provider: NAME, ...endpointOf(credentials), modelId });
  },
  embeddingModel: async ({ credentials, model, fetch }) =>
    (await client(credentials, fetch)).embeddingModel(upstreamName(credentials, model)),
};
