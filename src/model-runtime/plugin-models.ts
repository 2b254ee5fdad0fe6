/**
 * The simple plugin contract (`invoke`, `embed`) wrapped as AI SDK models, so plugins go through
 * the same streamText/embedMany path as built-in providers (one way to time, abort, count, map errors).
 *
 * invoke({ model, messages: [{role, content}], stream: true, temperature?, max_tokens?, top_p?,
 *          stop?, credentials, signal }) may return:
 *   - a string, or { text, usage?: { prompt_tokens, completion_tokens } }, or a promise of either;
 *   - an async iterable of strings or { text } / { delta } chunks (streaming); a final chunk may
 *     carry { usage }.
 * embed({ model, texts, credentials, signal }) returns number[][] or { embeddings, usage?: { tokens } }.
 */
import type {
  EmbeddingModelV3,
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3StreamPart,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import type { Credentials } from './catalog-types.js';

export interface PluginUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

export type PluginInvokeResult = string | { text?: string; usage?: PluginUsage } | AsyncIterable<unknown>;

export interface PluginInvokeRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  stream: boolean;
  credentials: Credentials;
  signal?: AbortSignal;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  stop?: string[];
  [key: string]: unknown;
}

export type PluginInvoke = (request: PluginInvokeRequest) => PluginInvokeResult | Promise<PluginInvokeResult>;
export type PluginEmbed = (request: {
  model: string;
  texts: string[];
  credentials: Credentials;
  signal?: AbortSignal;
}) => unknown;

function plainMessages(prompt: LanguageModelV3CallOptions['prompt']): Array<{ role: string; content: string }> {
  return prompt.map((message) => ({
    role: message.role,
    content:
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) => (part.type === 'text' ? part.text : '')).join(''),
  }));
}

const usageOf = (usage: PluginUsage | undefined): LanguageModelV3Usage => ({
  inputTokens: { total: usage?.prompt_tokens, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: usage?.completion_tokens, text: undefined, reasoning: undefined },
});

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';

/** A chunk of a plugin's stream: its text and, on the last one, usage. */
function chunkOf(chunk: unknown): { text: string; usage?: PluginUsage } {
  if (typeof chunk === 'string') return { text: chunk };
  if (typeof chunk === 'object' && chunk !== null) {
    const c = chunk as { text?: unknown; delta?: unknown; content?: unknown; usage?: PluginUsage };
    const text = [c.text, c.delta, c.content].find((v): v is string => typeof v === 'string') ?? '';
    return { text, ...(c.usage ? { usage: c.usage } : {}) };
  }
  return { text: '' };
}

export function invokeLanguageModel(input: {
  provider: string;
  model: string;
  credentials: Credentials;
  invoke: PluginInvoke;
}): LanguageModelV3 {
  const request = (options: LanguageModelV3CallOptions, stream: boolean): PluginInvokeRequest => ({
    model: input.model,
    messages: plainMessages(options.prompt),
    stream,
    credentials: input.credentials,
    signal: options.abortSignal,
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.topP !== undefined ? { top_p: options.topP } : {}),
    ...(options.maxOutputTokens !== undefined ? { max_tokens: options.maxOutputTokens } : {}),
    ...(options.stopSequences?.length ? { stop: options.stopSequences } : {}),
  });
  return {
    specificationVersion: 'v3',
    provider: input.provider,
    modelId: input.model,
    supportedUrls: {},
    async doGenerate(options) {
      const result = await input.invoke(request(options, false));
      let text = '';
      let usage: PluginUsage | undefined;
      if (isAsyncIterable(result)) {
        for await (const chunk of result) {
          const c = chunkOf(chunk);
          text += c.text;
          usage = c.usage ?? usage;
        }
      } else {
        const c = chunkOf(result);
        text = c.text;
        usage = c.usage;
      }
      return {
        content: [{ type: 'text', text }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: usageOf(usage),
        warnings: [],
      };
    },
    async doStream(options) {
      const result = await input.invoke(request(options, true));
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        async start(controller) {
          controller.enqueue({ type: 'stream-start', warnings: [] });
          controller.enqueue({ type: 'text-start', id: '0' });
          let usage: PluginUsage | undefined;
          try {
            const chunks = isAsyncIterable(result) ? result : [result];
            for await (const chunk of chunks) {
              const c = chunkOf(chunk);
              if (c.text) controller.enqueue({ type: 'text-delta', id: '0', delta: c.text });
              usage = c.usage ?? usage;
            }
            controller.enqueue({ type: 'text-end', id: '0' });
            controller.enqueue({
              type: 'finish',
              usage: usageOf(usage),
              finishReason: { unified: 'stop', raw: 'stop' },
            });
          } catch (error) {
            controller.enqueue({ type: 'error', error });
          }
          controller.close();
        },
      });
      return { stream };
    },
  };
}

export function embedModel(input: {
  provider: string;
  model: string;
  credentials: Credentials;
  embed: PluginEmbed;
}): EmbeddingModelV3 {
  return {
    specificationVersion: 'v3',
    provider: input.provider,
    modelId: input.model,
    maxEmbeddingsPerCall: undefined,
    supportsParallelCalls: false,
    async doEmbed(options) {
      const result = (await input.embed({
        model: input.model,
        texts: options.values,
        credentials: input.credentials,
        signal: options.abortSignal,
      })) as number[][] | { embeddings?: number[][]; usage?: { tokens?: number } };
      const embeddings = Array.isArray(result) ? result : result?.embeddings;
      if (!Array.isArray(embeddings) || embeddings.length !== options.values.length) {
        throw new Error(
          `plugin ${input.provider} embed() returned ${Array.isArray(embeddings) ? embeddings.length : 'no'} embeddings for ${options.values.length} texts`,
        );
      }
      const tokens = Array.isArray(result) ? undefined : result.usage?.tokens;
      return { embeddings, ...(typeof tokens === 'number' ? { usage: { tokens } } : {}), warnings: [] };
    },
  };
}
