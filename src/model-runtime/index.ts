/**
 * The model runtime (Dify's core/model_runtime): built-in providers and PROVIDER_PLUGINS_DIR plugins
 * behind one interface, the workspace's credentials (encrypted with a key derived from SECRET_KEY),
 * token counting, prices and latency. Used by the api (service API, console) and the worker alike;
 * imports nothing from server/.
 *
 *   const runtime = await createModelRuntime({ pool, secretKey: settings.SECRET_KEY, pluginsDir, logger });
 *   const call = runtime.invokeLlm({ tenantId, provider: 'openai', model: 'gpt-4o-mini', messages });
 *   for await (const delta of call.textStream) …;  const { text, usage } = await call.result;
 *   runtime.console.listProviders(tenantId)   // what the console routes render
 */
import type pg from 'pg';
import { callEmbedding, callLlm } from './calls.js';
import type { ProviderSpec } from './catalog-types.js';
import { defaultModelOf, defaultModelResponse } from './defaults.js';
import { type CallTimeouts, DEFAULT_TIMEOUTS } from './llm-call.js';
import { createProviderRegistry, loadProviderPlugins, type RuntimeLogger } from './plugins.js';
import { BUILTIN_PROVIDERS } from './providers/index.js';
import { createResolver } from './resolve.js';
import { deriveCredentialKey } from './secrets.js';
import { countTokens } from './tokens.js';
import type { LlmCall, ModelRuntime, ModelType } from './types.js';
import { createModelProviderService, type ModelProviderService } from './workspace.js';

export interface ModelRuntimeOptions {
  pool: pg.Pool;
  /** SECRET_KEY: the credentials key is derived from it (HKDF); it is never stored. */
  secretKey: string;
  /** PROVIDER_PLUGINS_DIR, resolved; omitted: no plugins. */
  pluginsDir?: string;
  logger?: RuntimeLogger;
  /** Bounds of model calls. @default idle 60 s (first byte, between chunks), total 300 s */
  timeouts?: Partial<CallTimeouts>;
  /** Bounds of the console's credential checks. @default idle 15 s, total 30 s */
  checkTimeouts?: Partial<CallTimeouts>;
  /** How long a credentials lookup is reused. @default 2000 ms */
  credentialCacheTtlMs?: number;
}

export interface ModelRuntimeService extends ModelRuntime {
  /** The console's model-provider operations (routes: validate → call → render). */
  console: ModelProviderService & {
    /** GET default-model: Dify's DefaultModelResponse, or null. */
    defaultModel(tenantId: string, type: ModelType): Promise<ReturnType<typeof defaultModelResponse> | null>;
  };
  /** Every provider, built-in first, then plugins. */
  providers(): ProviderSpec[];
  /** Plugin files that loaded. */
  pluginFiles: string[];
  /** Loads the AI SDK and the tokenizer now instead of on the first call (e.g. right after listen). */
  warmUp(): Promise<void>;
}

const silent: RuntimeLogger = { info: () => {}, warn: () => {}, error: () => {} };

export async function createModelRuntime(options: ModelRuntimeOptions): Promise<ModelRuntimeService> {
  const logger = options.logger ?? silent;
  const key = deriveCredentialKey(options.secretKey);
  const registry = createProviderRegistry(BUILTIN_PROVIDERS);
  const pluginFiles = options.pluginsDir
    ? await loadProviderPlugins({ dir: options.pluginsDir, registry, logger })
    : [];
  const timeouts: CallTimeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const resolver = createResolver({ pool: options.pool, key, specs: registry, ttlMs: options.credentialCacheTtlMs });
  const service = createModelProviderService({
    pool: options.pool,
    key,
    specs: registry,
    resolver,
    checkTimeouts: { idleMs: 15_000, totalMs: 30_000, ...options.checkTimeouts },
  });
  const defaults = { pool: options.pool, specs: registry };

  return {
    invokeLlm(request): LlmCall {
      const call = resolver.resolve(request, 'llm').then((resolved) => callLlm(resolved, request, timeouts));
      const result = call.then((c) => c.result);
      // Either may go unobserved (a blocking caller awaits only result, a streaming one may only iterate).
      call.catch(() => {});
      result.catch(() => {});
      return {
        textStream: {
          async *[Symbol.asyncIterator]() {
            yield* (await call).textStream;
          },
        },
        result,
      };
    },
    async embed(request) {
      const resolved = await resolver.resolve(request, 'text-embedding');
      return callEmbedding(resolved, request, timeouts);
    },
    countTokens,
    async contextSize(ref) {
      return (await resolver.resolve(ref, 'llm')).contextSize;
    },
    defaultModel: (tenantId, type) => defaultModelOf(defaults, tenantId, type),
    console: {
      ...service,
      defaultModel: async (tenantId, type) => {
        const found = await defaultModelOf(defaults, tenantId, type);
        const spec = found && registry.get(found.provider);
        return found && spec ? defaultModelResponse(tenantId, spec, found.model, type) : null;
      },
    },
    providers: () => registry.list(),
    pluginFiles,
    warmUp: async () => {
      await import('ai');
      countTokens('warm up');
    },
  };
}

export type { ProviderSpec } from './catalog-types.js';
export { ModelConfigError } from './config-error.js';
export { HIDDEN_VALUE, obfuscateToken } from './secrets.js';
export { tokenUpperBound } from './tokens.js';
export type { PluginProvider, RuntimeLogger } from './plugins.js';
export * from './types.js';
