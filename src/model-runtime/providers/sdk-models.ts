import type { EmbeddingModel, LanguageModel } from 'ai';
import type { Credentials, ProviderSpec } from '../catalog-types.js';

/** An AI SDK provider as OpenAI's and Azure's packages make it: chat, completion and embedding models. */
interface SdkProvider {
  chat(model: string): LanguageModel;
  completion(model: string): LanguageModel;
  embedding(model: string): EmbeddingModel;
}

/**
 * A spec's `languageModel` (completion mode → the completion model, else chat) and `embeddingModel`,
 * each asking `client` for the SDK provider made from the request's credentials and `fetch`.
 */
export function sdkModels(
  client: (credentials: Credentials, fetch?: typeof globalThis.fetch) => Promise<SdkProvider>,
): Pick<ProviderSpec, 'languageModel' | 'embeddingModel'> {
  return {
    languageModel: async ({ credentials, model, mode, fetch }) =>
      mode === 'completion'
        ? (await client(credentials, fetch)).completion(model)
        : (await client(credentials, fetch)).chat(model),
    embeddingModel: async ({ credentials, model, fetch }) => (await client(credentials, fetch)).embedding(model),
  };
}
