import { collect, connect, keyValues, readStdin } from '../console-common.js';
import type { CommandDefinition } from '../types.js';

export const providersListCommand: CommandDefinition = {
  path: ['providers', 'list'],
  summary: 'model providers of the workspace: status, model types, custom models',
  run: async (ctx) => {
    const client = await connect(ctx);
    const { listProviders } = await import('../../console-client/providers.js');
    const { renderTable } = await import('../../output/table.js');
    const providers = (await listProviders(client)).map((p) => ({
      provider: p.provider,
      label: p.label.en_US,
      status: p.custom_configuration.status,
      modelTypes: p.supported_model_types,
      configure: p.configurate_methods,
      models: p.custom_configuration.custom_models.map((m) => `${m.model} (${m.model_type})`),
    }));
    ctx.out.print(
      renderTable(
        ['PROVIDER', 'STATUS', 'MODEL TYPES', 'MODELS'],
        providers.map((p) => [p.provider, p.status, p.modelTypes.join(','), p.models.join(', ')]),
      ),
    );
    return { data: { providers } };
  },
};

export const providersAddCommand: CommandDefinition = {
  path: ['providers', 'add'],
  summary: "add a provider's credentials, or a model with its credentials; the model becomes the workspace default",
  configure: (cmd) =>
    cmd
      .argument('<provider>', 'e.g. openai_api_compatible, openai, anthropic, ollama, azure_openai')
      .option('--model <name>', 'the model (required for per-model providers such as openai_api_compatible)')
      .option('--model-type <type>', 'llm or text-embedding', 'llm')
      .option('--endpoint-url <url>', 'credential endpoint_url (openai_api_compatible)')
      .option('--api-key-stdin', "read the API key from stdin (stored in the provider's secret field)")
      .option(
        '--credential <name=value>',
        "another credential by Dify's field name (repeatable), e.g. context_size=32768",
        collect,
      )
      .option('--no-default', 'do not make the model the workspace default'),
  run: async (ctx) => {
    const o = ctx.options;
    const credentials = keyValues('--credential', o.credential);
    if (typeof o.endpointUrl === 'string') credentials.endpoint_url = o.endpointUrl;
    const apiKey = o.apiKeyStdin === true ? await readStdin('--api-key-stdin') : undefined;
    const modelType = o.modelType === 'text-embedding' ? 'text-embedding' : 'llm';
    const client = await connect(ctx);
    const { addProvider } = await import('../../console-client/providers.js');
    const added = await addProvider(client, {
      provider: String(ctx.args[0]),
      credentials,
      apiKey,
      model: typeof o.model === 'string' ? o.model : undefined,
      modelType,
      setDefault: o.default !== false,
    });
    const what = added.model
      ? `model ${added.provider}/${added.model} (${added.modelType})`
      : `provider ${added.provider}`;
    ctx.out.print(
      `added ${what}: credentials checked by the provider${added.isDefault ? `; the workspace's default ${added.modelType}` : ''}`,
    );
    return { data: added };
  },
};

export const providersRmCommand: CommandDefinition = {
  path: ['providers', 'rm'],
  summary: "remove a provider's credentials and custom models (or one model with --model)",
  configure: (cmd) =>
    cmd
      .argument('<provider>')
      .option('--model <name>', 'only this custom model')
      .option('--model-type <type>', 'llm or text-embedding'),
  run: async (ctx) => {
    const o = ctx.options;
    const client = await connect(ctx);
    const { removeProvider } = await import('../../console-client/providers.js');
    const result = await removeProvider(client, {
      provider: String(ctx.args[0]),
      model: typeof o.model === 'string' ? o.model : undefined,
      modelType: typeof o.modelType === 'string' ? o.modelType : undefined,
    });
    ctx.out.print(result.removed.length ? `removed ${result.removed.join(', ')}` : 'nothing was configured');
    return { data: result };
  },
};
