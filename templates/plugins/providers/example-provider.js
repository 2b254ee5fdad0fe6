// An example model-provider plugin. Every `*.js` file in PROVIDER_PLUGINS_DIR that exports
// `registerProvider` is loaded when the API server starts; a broken plugin is logged and skipped.
//
// `registry.add(provider)` registers a provider: a name, the models it offers, and an `invoke`
// that turns a chat request into a reply (or an async iterable of text chunks for streaming).

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
