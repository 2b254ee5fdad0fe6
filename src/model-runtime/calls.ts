/** Calls on a resolved model: an LLM call, an embedding request, a credentials check. */
import type { Credentials, ProviderSpec } from './catalog-types.js';
import { invokeError, toModelError } from './errors.js';
import { type CallTimeouts, runLlmCall } from './llm-call.js';
import { describeModel, type ResolvedModel } from './resolve.js';
import { countTokens } from './tokens.js';
import type { LanguageModel } from 'ai';
import {
  type EmbeddingResult,
  type LlmCall,
  type LlmInvocation,
  type LlmMode,
  ModelRuntimeError,
  type ModelType,
} from './types.js';
import { modelFetch } from './model-fetch.js';
import { embeddingPrice } from './usage.js';

/**
 * Language models built for a resolved model (it lives as long as the resolver caches it): an AI SDK
 * model object is stateless between calls, and building one compiles its response schemas, a cost
 * that showed in every request's profile.
 */
const builtModels = new WeakMap<ResolvedModel, Map<string, Promise<LanguageModel>>>();

function languageModelOf(
  resolved: ResolvedModel,
  model: string,
  mode: LlmMode,
  fetch?: typeof globalThis.fetch,
): Promise<LanguageModel> {
  // Model servers are called through modelFetch (undici's request(), lighter than Node's fetch).
  const build = async () =>
    resolved.spec.languageModel({ credentials: resolved.credentials, model, mode, fetch: fetch ?? modelFetch });
  // A call with its own fetch (completion mode rewrites its body) gets its own model.
  if (fetch) return build();
  let models = builtModels.get(resolved);
  if (!models) builtModels.set(resolved, (models = new Map()));
  const key = `${mode}\u0000${model}`;
  let built = models.get(key);
  if (!built) {
    built = build();
    models.set(key, built);
    built.catch(() => models.delete(key));
  }
  return built;
}

export function callLlm(resolved: ResolvedModel, request: LlmInvocation, timeouts: CallTimeouts): LlmCall {
  const { spec } = resolved;
  const mode = request.mode ?? resolved.mode;
  return runLlmCall({
    provider: spec.provider,
    model: (fetch) => languageModelOf(resolved, request.model, mode, fetch),
    mode,
    messages: request.messages,
    parameters: request.parameters,
    maxTokensCap: resolved.maxTokensCap,
    signal: request.signal,
    user: request.user,
    price: resolved.price,
    timeouts,
    stream: request.stream,
  });
}

export async function callEmbedding(
  resolved: ResolvedModel,
  request: { model: string; texts: string[]; signal?: AbortSignal },
  timeouts: CallTimeouts,
): Promise<EmbeddingResult> {
  const { spec, credentials } = resolved;
  const started = performance.now();
  const usage = (tokens: number): EmbeddingResult['usage'] => ({
    tokens,
    total_price: embeddingPrice(tokens, resolved.price),
    currency: resolved.price?.currency ?? 'USD',
    latency: (performance.now() - started) / 1000,
  });
  if (!request.texts.length) return { embeddings: [], usage: usage(0) };
  if (!spec.embeddingModel)
    throw new ModelRuntimeError('provider_not_initialize', `Provider ${spec.provider} has no text-embedding models.`);
  // Loaded before the bound starts: the SDK's first import is not the provider's time.
  const [{ embedMany }, model] = await Promise.all([
    import('ai'),
    spec.embeddingModel({ credentials, model: request.model, fetch: modelFetch }),
  ]).catch((error: unknown) => {
    throw toModelError(spec.provider, error);
  });
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, timeouts.totalMs);
  const onAbort = (): void => controller.abort(request.signal?.reason);
  request.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await embedMany({ model, values: request.texts, maxRetries: 0, abortSignal: controller.signal });
    const tokens = result.usage?.tokens || request.texts.reduce((sum, text) => sum + countTokens(text), 0);
    return { embeddings: result.embeddings, usage: usage(tokens) };
  } catch (error) {
    if (timedOut)
      throw invokeError(
        spec.provider,
        'connection',
        `Request timed out: the call took longer than ${timeouts.totalMs / 1000} s.`,
        { cause: error },
      );
    if (request.signal?.aborted) throw request.signal.reason ?? error;
    throw toModelError(spec.provider, error);
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', onAbort);
  }
}

/** Validation timeouts: a check must not hold a console request for long. */
const CHECK_TIMEOUTS: CallTimeouts = { idleMs: 15_000, totalMs: 30_000 };

/**
 * Dify validates credentials with one tiny real request (`validate_credentials`: a short prompt,
 * a few tokens; an embedding of one word). @throws ModelRuntimeError describing what failed
 */
export async function checkCredentials(input: {
  spec: ProviderSpec;
  credentials: Credentials;
  model: string;
  type: ModelType;
  timeouts?: CallTimeouts;
}): Promise<void> {
  const resolved = describeModel(input.spec, input.model, input.type, input.credentials);
  const timeouts = input.timeouts ?? CHECK_TIMEOUTS;
  if (input.type === 'text-embedding') {
    await callEmbedding(resolved, { model: input.model, texts: ['ping'] }, timeouts);
    return;
  }
  await callLlm(
    resolved,
    {
      tenantId: '',
      provider: input.spec.provider,
      model: input.model,
      messages: [{ role: 'user', content: 'ping' }],
      parameters: { max_tokens: 5 },
    },
    timeouts,
  ).result;
}
