import type { ProviderSpec } from '../catalog-types.js';
import { i18n, modeAndContextSize, onLlm, text, trimUrl } from './form.js';
import { generateContextFix } from './ollama-fetch.js';

/** Ollama (Dify's `ollama`): custom models on a server's native API (/api/chat, /api/generate, /api/embed). */
export const ollamaProvider: ProviderSpec = {
  provider: 'ollama',
  label: i18n('Ollama'),
  background: '#F9FAFB',
  help: {
    title: i18n('How to integrate with Ollama'),
    url: i18n('https://docs.dify.ai/tutorials/model-configuration/ollama'),
  },
  supported_model_types: ['llm', 'text-embedding'],
  configurate_methods: ['customizable-model'],
  model_credential_schema: {
    model: { label: i18n('Model Name'), placeholder: i18n('Enter your model name') },
    credential_form_schemas: [
      text('base_url', 'Base URL', {
        required: true,
        placeholder: 'Base url of Ollama server, e.g. http://192.168.1.100:11434',
      }),
      ...modeAndContextSize(),
      text('max_tokens', 'Upper bound for max tokens', { required: true, default: '4096', showOn: onLlm }),
    ],
  },
  models: [],
  source: 'builtin',
  languageModel: async ({ credentials, model, mode, fetch }) => {
    const { createOllama } = await import('ollama-ai-provider-v2');
    const ollama = createOllama({
      baseURL: `${trimUrl(credentials.base_url) ?? 'http://127.0.0.1:11434'}/api`,
      fetch: generateContextFix(fetch),
    });
    return mode === 'completion' ? ollama.completion(model) : ollama.chat(model);
  },
  embeddingModel: async ({ credentials, model, fetch }) =>
    (await import('ollama-ai-provider-v2'))
      .createOllama({ baseURL: `${trimUrl(credentials.base_url) ?? 'http://127.0.0.1:11434'}/api`, fetch })
      .embedding(model),
};
