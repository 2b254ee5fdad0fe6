import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from './logger.js';

/** A model provider, as plugins register it (templates/plugins/providers/example-provider.js). */
export interface ModelProvider {
  name: string;
  label?: string;
  models: { name: string; mode: 'chat' | 'completion' }[];
  invoke(request: { model: string; messages: { role: string; content: string }[]; stream?: boolean; [key: string]: unknown }): Promise<unknown> | AsyncIterable<unknown>;
}

export interface ProviderRegistry {
  add(provider: ModelProvider): void;
  get(name: string): ModelProvider | undefined;
  list(): ModelProvider[];
}

export function createProviderRegistry(): ProviderRegistry {
  const providers = new Map<string, ModelProvider>();
  return {
    add: (provider) => {
      if (!provider || typeof provider.name !== 'string' || !provider.name) throw new Error('a provider needs a non-empty name');
      if (typeof provider.invoke !== 'function') throw new Error(`provider ${provider.name} has no invoke function`);
      if (!Array.isArray(provider.models)) throw new Error(`provider ${provider.name} has no models list`);
      providers.set(provider.name, provider);
    },
    get: (name) => providers.get(name),
    list: () => [...providers.values()],
  };
}

/**
 * Loads every `*.js`/`*.mjs` file of PROVIDER_PLUGINS_DIR that exports `registerProvider`. A plugin
 * that fails to import, to register, or registers something invalid is logged and skipped: the
 * server still starts. A missing folder means no plugins.
 * @returns the names of the files loaded
 */
export async function loadProviderPlugins(options: { dir: string; registry: ProviderRegistry; logger: Logger }): Promise<string[]> {
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
      await (mod.registerProvider as (r: ProviderRegistry) => unknown)(options.registry);
      loaded.push(name);
      options.logger.info({ plugin: file }, 'provider plugin loaded');
    } catch (error) {
      options.logger.error({ plugin: file, err: (error as Error).message }, 'provider plugin skipped: it failed to load');
    }
  }
  return loaded;
}
