/**
 * One LLM call through an AI SDK language model, whatever the caller wants: deltas go to a queue
 * (`textStream`), the joined text, usage and finish reason to `result`. Bounded: the provider must
 * answer within `idleMs` (first byte, then between chunks) and finish within `totalMs`; a timeout is
 * Dify's connection error. The caller's abort signal is not an error: the result resolves with
 * finishReason `aborted` and the text so far.
 *
 * The model's own `doStream` (the SDK's language-model specification: the provider package builds
 * the request, parses the SSE, reports usage and HTTP errors) is called directly rather than through
 * streamText: its step, tool and telemetry machinery roughly doubled the time to the first token
 * and to the whole answer here (bench/model-runtime.md), and this runtime needs none of it.
 */
import type { LanguageModelV3, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import type { LanguageModel } from 'ai';
import { invokeError, toModelError } from './errors.js';
import { callSettings, completionPrompt } from './messages.js';
import { finishFailure, finishReasonOf, toProviderPrompt, usageOfFinish } from './provider-prompt.js';
import type { PriceInfo } from './prices.js';
import { modelFetch } from './model-fetch.js';
import { createTextQueue } from './text-queue.js';
import { countTokens } from './tokens.js';
import type { CompletionParams, LlmCall, LlmMode, LlmResult, PromptMessage } from './types.js';
import { llmUsage } from './usage.js';

export interface CallTimeouts {
  /** Longest wait for the first byte and between two chunks. @default 60_000 */
  idleMs: number;
  /** Longest whole call. @default 300_000 (Dify's read timeout for model calls) */
  totalMs: number;
}

// Services never print: the AI SDK (embedMany) logs call warnings to the console unless told not
// to. Its documented switch is this global.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

export const DEFAULT_TIMEOUTS: CallTimeouts = { idleMs: 60_000, totalMs: 300_000 };

export interface LlmCallInput {
  provider: string;
  /** Builds the model; `fetch` is set in completion mode (see completionFetch). */
  model: (fetch?: typeof globalThis.fetch) => LanguageModel | Promise<LanguageModel>;
  mode: LlmMode;
  messages: PromptMessage[];
  parameters?: CompletionParams;
  maxTokensCap?: number;
  signal?: AbortSignal;
  user?: string;
  price?: PriceInfo;
  timeouts: CallTimeouts;
  /** false: one non-streamed request (the model's doGenerate), as Dify invokes the model for a blocking answer. @default true */
  stream?: boolean;
}

/**
 * The AI SDK turns a completion prompt into `user:\n…\n\nassistant:\n` and adds a `\nuser:` stop
 * sequence; Dify sends the prompt it assembled, unchanged. This fetch puts it back.
 */
export function completionFetch(prompt: string, stop: string[] | undefined): typeof globalThis.fetch {
  return (input, init) => {
    if (init && typeof init.body === 'string') {
      try {
        const body = JSON.parse(init.body) as Record<string, unknown>;
        if (typeof body.prompt === 'string') {
          body.prompt = prompt;
          if (stop?.length) body.stop = stop;
          else delete body.stop;
          if (body.options && typeof body.options === 'object' && !stop?.length)
            delete (body.options as Record<string, unknown>).stop;
          return modelFetch(input, { ...init, body: JSON.stringify(body) });
        }
      } catch {
        // not JSON: send it as it is
      }
    }
    return modelFetch(input, init);
  };
}

export function runLlmCall(input: LlmCallInput): LlmCall {
  const queue = createTextQueue();
  const result = pump(input, queue);
  // The caller may only iterate textStream: a failure must not also be an unhandled rejection.
  result.catch(() => {});
  return { textStream: queue.iterable, result };
}

/** The text of a doGenerate result: V2/V3 `content` parts; V1-era plugins answer `text`. */
function generatedText(result: unknown): string {
  const { content, text } = result as { content?: Array<{ type: string; text?: string }>; text?: unknown };
  if (Array.isArray(content)) return content.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
  return typeof text === 'string' ? text : '';
}

async function pump(input: LlmCallInput, queue: ReturnType<typeof createTextQueue>): Promise<LlmResult> {
  const started = performance.now();
  const controller = new AbortController();
  let timedOut: string | undefined;
  const timeout = (why: string) => () => {
    timedOut = why;
    controller.abort(new Error(why));
  };
  // The bounds start once the SDK is loaded: its first import is this process's cost, not the provider's.
  let idle: NodeJS.Timeout | undefined;
  let total: NodeJS.Timeout | undefined;
  const armIdle = (): void => {
    clearTimeout(idle);
    idle = setTimeout(timeout(`no answer within ${input.timeouts.idleMs / 1000} s`), input.timeouts.idleMs);
  };
  const onAbort = (): void => controller.abort(input.signal?.reason);
  input.signal?.addEventListener('abort', onAbort, { once: true });

  let text = '';
  let usage: { inputTokens?: number; outputTokens?: number } | undefined;
  let finishReason: LlmResult['finishReason'] = 'stop';
  // Why the stream did not end well: no finish part, or one that reports a failure (finishFailure).
  let unfinished: string | undefined = 'Response stream ended without a finish part.';
  const finish = (reason: LlmResult['finishReason']): LlmResult => {
    const promptTokens =
      usage?.inputTokens ||
      countTokens(input.mode === 'completion' ? completionPrompt(input.messages) : input.messages);
    const completionTokens = usage?.outputTokens || (text ? countTokens(text) : 0);
    queue.end();
    return {
      text,
      finishReason: reason,
      usage: llmUsage({
        promptTokens,
        completionTokens,
        price: input.price,
        latencySeconds: (performance.now() - started) / 1000,
      }),
    };
  };
  const aborted = (): boolean => input.signal?.aborted === true && !timedOut;

  try {
    if (input.signal?.aborted) return finish('aborted');
    const settings = callSettings(input.parameters, input.maxTokensCap);
    const completion = input.mode === 'completion';
    const model = await input.model(
      completion ? completionFetch(completionPrompt(input.messages), settings.stopSequences) : undefined,
    );
    if (typeof model === 'string')
      throw new Error(`model "${model}" is a gateway id: hand over a language model object`);
    if (input.signal?.aborted) return finish('aborted');
    total = setTimeout(timeout(`the call took longer than ${input.timeouts.totalMs / 1000} s`), input.timeouts.totalMs);
    const prompt = toProviderPrompt(
      completion ? [{ role: 'user', content: completionPrompt(input.messages) }] : input.messages,
    );
    // V2 and V3 models take the same call options for a text prompt (a plugin may hand over either).
    const options = {
      prompt,
      ...settings,
      abortSignal: controller.signal,
      // OpenAI's `user` (the end user), under each SDK provider's options key; others ignore it.
      ...(input.user
        ? {
            providerOptions: {
              openai: { user: input.user },
              azure: { user: input.user },
              [input.provider]: { user: input.user },
            },
          }
        : {}),
    };
    const v3 = model as LanguageModelV3;
    if (input.stream === false && typeof v3.doGenerate === 'function') {
      // One answer, one body: no stream to wait between chunks of, so only the whole-call bound holds.
      const generated = await v3.doGenerate(options);
      text = generatedText(generated);
      if (text) queue.push(text);
      usage = usageOfFinish(generated.usage);
      if (timedOut) throw invokeError(input.provider, 'connection', `Request timed out: ${timedOut}.`);
      if (aborted()) return finish('aborted');
      // A whole body was read: only a reported error fails it (a missing finish reason does not).
      const reason = generated.finishReason as unknown;
      if ((typeof reason === 'string' ? reason : (reason as { unified?: unknown } | undefined)?.unified) === 'error')
        throw new Error('the provider reported an error.');
      return finish(finishReasonOf(reason));
    }
    armIdle();
    const { stream } = await v3.doStream(options);
    for await (const part of stream as AsyncIterable<LanguageModelV3StreamPart>) {
      armIdle();
      if (part.type === 'text-delta') {
        // V3 names the text `delta`; V2 streams named it `delta` too, V1-era plugins `textDelta`.
        const delta = part.delta ?? (part as { textDelta?: string }).textDelta;
        if (delta) {
          text += delta;
          queue.push(delta);
        }
      } else if (part.type === 'error') {
        throw part.error;
      } else if (part.type === 'finish') {
        usage = usageOfFinish(part.usage);
        finishReason = finishReasonOf(part.finishReason);
        unfinished = finishFailure(part.finishReason);
      }
    }
    if (timedOut) throw invokeError(input.provider, 'connection', `Request timed out: ${timedOut}.`);
    if (aborted()) return finish('aborted');
    // A malformed or cut-off stream is a failed call (completion_request_error), never a short answer.
    if (unfinished) throw new Error(unfinished);
    return finish(finishReason);
  } catch (error) {
    if (aborted()) return finish('aborted');
    const mapped = timedOut
      ? invokeError(input.provider, 'connection', `Request timed out: ${timedOut}.`, { cause: error })
      : toModelError(input.provider, error);
    queue.fail(mapped);
    throw mapped;
  } finally {
    clearTimeout(idle);
    clearTimeout(total);
    input.signal?.removeEventListener('abort', onAbort);
  }
}
