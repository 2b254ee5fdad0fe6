import type { Credentials, ProviderSpec } from '../catalog-types.js';
import { i18n, onEmbedding, onLlm, secret, select, str, text, trimUrl } from './form.js';
import { sdkModels } from './sdk-models.js';

export const AZURE_API_VERSIONS = [
  '2024-10-21',
  '2024-08-01-preview',
  '2024-06-01',
  '2024-02-01',
  '2023-12-01-preview',
  '2023-05-15',
];

async function client(credentials: Credentials, fetch?: typeof globalThis.fetch) {
  const { createAzure } = await import('@ai-sdk/azure');
  const base = trimUrl(credentials.openai_api_base) ?? '';
  return createAzure({
    fetch,
    apiKey: str(credentials.openai_api_key) ?? '',
    // Dify's openai_api_base is the resource endpoint (https://<name>.openai.azure.com); requests go to
    // {base}/openai/deployments/{deployment}/… with ?api-version, as Dify's AzureOpenAI client sends them.
    baseURL: base.endsWith('/openai') ? base : `${base}/openai`,
    apiVersion: str(credentials.openai_api_version) ?? AZURE_API_VERSIONS[0],
    useDeploymentBasedUrls: true,
  });
}

/** Azure OpenAI (Dify's `azure_openai`): custom models, one per deployment. */
export const azureOpenaiProvider: ProviderSpec = {
  provider: 'azure_openai',
  label: i18n('Azure OpenAI Service Model'),
  supported_model_types: ['llm', 'text-embedding'],
  configurate_methods: ['customizable-model'],
  model_credential_schema: {
    model: {
      label: i18n('Deployment Name'),
      placeholder: i18n('Enter your Deployment Name here, matching the Azure deployment name.'),
    },
    credential_form_schemas: [
      text('openai_api_base', 'API Endpoint URL', {
        required: true,
        placeholder: 'Enter your API Endpoint, eg: https://example.com/xxx',
      }),
      secret('openai_api_key', 'API Key', { required: true, placeholder: 'Enter your API key here' }),
      select('openai_api_version', 'API Version', AZURE_API_VERSIONS, {
        required: true,
        default: AZURE_API_VERSIONS[0],
      }),
      select(
        'base_model_name',
        'Base Model',
        [
          ...[
            'gpt-35-turbo',
            'gpt-35-turbo-16k',
            'gpt-4',
            'gpt-4-32k',
            'gpt-4o',
            'gpt-4o-mini',
            'gpt-35-turbo-instruct',
          ].map((value) => ({ value, showOn: onLlm })),
          ...['text-embedding-ada-002', 'text-embedding-3-small', 'text-embedding-3-large'].map((value) => ({
            value,
            showOn: onEmbedding,
          })),
        ],
        { required: true, placeholder: 'Enter your model version' },
      ),
    ],
  },
  models: [],
  credentialAliases: { api_key: 'openai_api_key', endpoint_url: 'openai_api_base' },
  source: 'builtin',
  ...sdkModels(client),
};
