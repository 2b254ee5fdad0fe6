// An example model-provider plugin. Every `*.js` file in PROVIDER_PLUGINS_DIR that exports
// `registerProvider` is loaded when the API server (and the worker) starts; a broken plugin is
// logged and skipped. Its providers then appear in the console's model providers, and apps can use
// their models like any built-in provider's.
//
// `registry.add(provider)` takes one of two contracts.
//
// 1. The simple one (this file): a name, the models, and `invoke`, which turns a chat request
//    `{ model, messages: [{ role, content }], stream, temperature?, max_tokens?, top_p?, stop?,
//    credentials, signal }` into a reply. Return a string, `{ text, usage? }`, or — to stream — an
//    async iterable of text chunks:
//
//      async *invoke({ messages, signal }) {
//        for (const word of ['Hello', ' ', 'world']) yield word;   // each chunk reaches the client at once
//      },
//
//    Add `embed({ model, texts, credentials, signal })` returning `number[][]` (or
//    `{ embeddings, usage: { tokens } }`) and a model `{ name, type: 'text-embedding' }` for
//    embeddings. Throw an error with `status` (e.g. 429) to report the upstream's HTTP status.
//
// 2. An AI SDK provider object (the `ai` package's providers, e.g. @ai-sdk/openai-compatible):
//
//      import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
//      registry.add({
//        name: 'my_vllm',
//        label: 'My vLLM',
//        models: [{ name: 'qwen2.5-7b', mode: 'chat', context_size: 32768 }, { name: 'bge-m3', type: 'text-embedding' }],
//        // an object with languageModel(id) (and embeddingModel(id)), or a function of the credentials:
//        provider: (credentials) => createOpenAICompatible({ name: 'my_vllm', baseURL: credentials.base_url, apiKey: credentials.api_key }),
//        // optional: Dify credential form fields, configured per workspace in the console
//        credentials: [
//          { variable: 'base_url', label: { en_US: 'Base URL' }, type: 'text-input', required: true },
//          { variable: 'api_key', label: { en_US: 'API Key' }, type: 'secret-input', required: false },
//        ],
//      });
//
// `models`: [{ name, mode?: 'chat' | 'completion', type?: 'llm' | 'text-embedding', context_size? }].

/** @param {{ add(provider: object): void }} registry */
export function registerProvider(registry) {
  registry.add({
    name: 'echo',
    label: 'Echo (example)',
    models: [{ name: 'echo-1', mode: 'chat' }],
    async invoke({ messages }) {
      const last = messages[messages.length - 1];
      return { text: `echo: ${last ? last.content : ''}`, usage: { prompt_tokens: 0, completion_tokens: 0 } };
    },
  });
}
