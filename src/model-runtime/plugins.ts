/**
 * PROVIDER_PLUGINS_DIR: every `*.js`/`*.mjs` file exporting `registerProvider(registry)` adds model
 * providers. A plugin that fails to import or register, or registers something invalid, is logged
 * and skipped; the server still starts. A missing folder means no plugins.
 *
 * `registry.add(plugin)` takes either contract (templates/plugins/providers/example-provider.js):
 *   - simple: { name, label?, models, invoke(request), embed?(request) } — see plugin-models.ts;
 *   - AI SDK: { name, label?, models, provider } where `provider` is an AI SDK provider object
 *     (anything with `languageModel(id)` and optionally `embeddingModel(id)`/`textEmbeddingModel(id)`,
 *     e.g. createOpenAICompatible(...)), or a function (credentials) → such an object.
 * `models`: [{ name, mode?: 'chat'|'completion', type?: 'llm'|'text-embedding', context_size? }].
 * `credentials` (optional): Dify credential form fields; the console then configures them per
 * workspace and they reach `invoke`/`embed` or the provider factory.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EmbeddingModel, LanguageModel } from 'ai';
import type { CredentialFormSchema, Credentials, PredefinedModel, ProviderSpec } from './catalog-types.js';
import { embedModel, invokeLanguageModel, type PluginEmbed, type PluginInvoke } from './plugin-models.js';
import type { ModelType } from './types.js';

/** What runtime logging needs (pino's Logger fits). */
export interface RuntimeLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

interface AiSdkProviderLike {
  languageModel(modelId: string): LanguageModel;
  embeddingModel?(modelId: string): EmbeddingModel;
  textEmbeddingModel?(modelId: string): EmbeddingModel;
}

export interface PluginProvider {
  name: string;
  label?: string;
  models: Array<{ name: string; mode?: 'chat' | 'completion'; type?: ModelType; context_size?: number }>;
  invoke?: PluginInvoke;
  embed?: PluginEmbed;
  provider?: AiSdkProviderLike | ((credentials: Credentials) => AiSdkProviderLike);
  credentials?: CredentialFormSchema[];
}

export interface ProviderRegistry {
  add(plugin: PluginProvider): void;
  get(name: string): ProviderSpec | undefined;
  list(): ProviderSpec[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function checkPlugin(plugin: unknown): asserts plugin is PluginProvider {
  if (!isObject(plugin) || typeof plugin.name !== 'string' || !plugin.name)
    throw new Error('a provider needs a non-empty name');
  const name = plugin.name;
  if (!Array.isArray(plugin.models)) throw new Error(`provider ${name} has no models list`);
  for (const m of plugin.models)
    if (!isObject(m) || typeof m.name !== 'string' || !m.name)
      throw new Error(`provider ${name}: every model needs a name`);
  const aiSdk =
    typeof plugin.provider === 'function' ||
    (isObject(plugin.provider) && typeof plugin.provider.languageModel === 'function');
  if (typeof plugin.invoke !== 'function' && !aiSdk)
    throw new Error(`provider ${name} has no invoke function and no AI SDK provider`);
  if (plugin.embed !== undefined && typeof plugin.embed !== 'function')
    throw new Error(`provider ${name}: embed must be a function`);
}

/** A plugin as a ProviderSpec: predefined models, optional provider-level credentials. */
export function pluginSpec(plugin: PluginProvider, source: string): ProviderSpec {
  const models: PredefinedModel[] = plugin.models.map((m) => ({
    model: m.name,
    model_type: m.type ?? 'llm',
    ...((m.type ?? 'llm') === 'llm' ? { mode: m.mode ?? 'chat' } : {}),
    ...(m.context_size ? { context_size: m.context_size } : {}),
  }));
  const types = [...new Set(models.map((m) => m.model_type))];
  const sdk = (credentials: Credentials): AiSdkProviderLike | undefined =>
    typeof plugin.provider === 'function' ? plugin.provider(credentials) : plugin.provider;
  return {
    provider: plugin.name,
    label: { en_US: plugin.label ?? plugin.name },
    supported_model_types: types.length ? types : ['llm'],
    configurate_methods: ['predefined-model'],
    ...(plugin.credentials?.length
      ? {
          provider_credential_schema: {
            credential_form_schemas: plugin.credentials.map((f) => ({ ...f, show_on: f.show_on ?? [] })),
          },
        }
      : {}),
    models,
    validationModel: Object.fromEntries(types.map((t) => [t, models.find((m) => m.model_type === t)?.model])),
    source,
    languageModel: ({ credentials, model }) => {
      const provider = sdk(credentials);
      if (provider) return provider.languageModel(model);
      return invokeLanguageModel({ provider: plugin.name, model, credentials, invoke: plugin.invoke as PluginInvoke }); // checkPlugin: invoke or provider
    },
    ...(plugin.embed ||
    (isObject(plugin.provider) && (plugin.provider.embeddingModel || plugin.provider.textEmbeddingModel)) ||
    typeof plugin.provider === 'function'
      ? {
          embeddingModel: ({ credentials, model }: { credentials: Credentials; model: string }): EmbeddingModel => {
            const provider = sdk(credentials);
            const factory = provider?.embeddingModel?.bind(provider) ?? provider?.textEmbeddingModel?.bind(provider);
            if (factory) return factory(model);
            if (!plugin.embed) throw new Error(`provider ${plugin.name} has no embedding models`);
            return embedModel({ provider: plugin.name, model, credentials, embed: plugin.embed });
          },
        }
      : {}),
  };
}

export function createProviderRegistry(
  builtins: readonly ProviderSpec[] = [],
): ProviderRegistry & { addSpec(spec: ProviderSpec): void } {
  const specs = new Map<string, ProviderSpec>(builtins.map((s) => [s.provider, s]));
  return {
    add: (plugin) => {
      checkPlugin(plugin);
      specs.set(plugin.name, pluginSpec(plugin, 'plugin'));
    },
    addSpec: (spec) => {
      specs.set(spec.provider, spec);
    },
    get: (name) => specs.get(name),
    list: () => [...specs.values()],
  };
}

/**
 * Loads the plugins of `dir` into the registry.
 * @returns the names of the files loaded
 */
export async function loadProviderPlugins(options: {
  dir: string;
  registry: ProviderRegistry & { addSpec(spec: ProviderSpec): void };
  logger: RuntimeLogger;
}): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(options.dir)).filter((n) => /\.(m?js)$/.test(n)).sort();
  } catch {
    return [];
  }
  const loaded: string[] = [];
  for (const name of names) {
    const file = path.join(options.dir, name);
    try {
      const mod = (await import(pathToFileURL(file).href)) as { registerProvider?: unknown };
      if (typeof mod.registerProvider !== 'function') {
        options.logger.warn({ plugin: file }, 'provider plugin skipped: it does not export registerProvider');
        continue;
      }
      // Collect first: a plugin that fails half-way registers nothing.
      const added: ProviderSpec[] = [];
      const collector = {
        add: (plugin: PluginProvider) => {
          checkPlugin(plugin);
          added.push(pluginSpec(plugin, file));
        },
        get: options.registry.get,
        list: options.registry.list,
      };
      await (mod.registerProvider as (r: typeof collector) => unknown)(collector);
      for (const spec of added) options.registry.addSpec(spec);
      loaded.push(name);
      options.logger.info({ plugin: file, providers: added.map((s) => s.provider) }, 'provider plugin loaded');
    } catch (error) {
      options.logger.error(
        { plugin: file, err: (error as Error).message },
        'provider plugin skipped: it failed to load',
      );
    }
  }
  return loaded;
}
