/**
 * A blocking answer from an OpenAI-compatible chat model, asked without the AI SDK: one POST to
 * `chat/completions`, its JSON read once. Dify asks the model this way for every blocking message,
 * and the SDK's layers (the call options' and the answer's zod validation, the WHATWG Response it
 * reads) cost a blocking chat 0.19–0.43 ms of CPU per request, a quarter of the api process's share
 * (bench/service-api.md, "Node's floor").
 *
 * It handles what the runtime asks of a chat model — a text prompt, Dify's completion params, the end
 * user — and sends the body the SDK would send. Anything else (an image in the prompt, other provider
 * options, tools, a response format) goes to the SDK's own `doGenerate`, as does every streamed call.
 * Failures read as the SDK's would (`test/integration/whole-chat.test.ts` compares the two).
 */
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3GenerateResult } from '@ai-sdk/provider';
import { invokeError, statusError } from '../errors.js';
import { postWhole, type Target, targetOf } from '../model-fetch.js';

export interface ChatEndpoint {
  /**
   * The provider's name in Dify (error messages), which is also the SDK provider's name: the key of
   * `providerOptions` the model reads, where the runtime puts the end user.
   */
  provider: string;
  /** The base URL without a trailing slash (…/v1). */
  baseURL: string;
  apiKey?: string;
  modelId: string;
}

type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string | Array<{ type: 'text'; text: string }> };

/** The chat messages of a text-only prompt, as the SDK converts them; undefined if any part is not text. */
function textMessages(prompt: LanguageModelV3CallOptions['prompt']): ChatMessage[] | undefined {
  const messages: ChatMessage[] = [];
  for (const message of prompt) {
    if (message.providerOptions) return undefined;
    if (message.role === 'system') messages.push({ role: 'system', content: message.content });
    else if (message.role === 'user' || message.role === 'assistant') {
      const parts: Array<{ type: 'text'; text: string }> = [];
      for (const part of message.content) {
        if (part.type !== 'text' || part.providerOptions) return undefined;
        parts.push({ type: 'text', text: part.text });
      }
      if (message.role === 'assistant')
        messages.push({ role: 'assistant', content: parts.map((p) => p.text).join('') });
      else messages.push({ role: 'user', content: parts.length === 1 ? (parts[0]?.text ?? '') : parts });
    } else return undefined;
  }
  return messages;
}

/** The keys of `providerOptions` the SDK reads besides the provider's own (which may hold `user`). */
const sdkOptionKeys = (provider: string): string[] => [
  'openai-compatible',
  'openaiCompatible',
  provider.replace(/[_-]([a-z])/g, (g) => (g[1] ?? '').toUpperCase()),
];

/** The request body the SDK sends for these options (its key order), or undefined if only the SDK can build it. */
function requestBody(endpoint: ChatEndpoint, otherKeys: string[], options: LanguageModelV3CallOptions) {
  if (options.tools?.length || options.toolChoice || options.responseFormat || options.headers) return undefined;
  const given = options.providerOptions ?? {};
  const own = given[endpoint.provider];
  // Only `user` is read here; other options (and the SDK's other keys for them) are the SDK's to send.
  if (own && Object.keys(own).some((key) => key !== 'user')) return undefined;
  if (otherKeys.some((key) => given[key])) return undefined;
  const messages = textMessages(options.prompt);
  if (!messages) return undefined;
  return JSON.stringify({
    model: endpoint.modelId,
    user: own?.user,
    max_tokens: options.maxOutputTokens,
    temperature: options.temperature,
    top_p: options.topP,
    frequency_penalty: options.frequencyPenalty,
    presence_penalty: options.presencePenalty,
    stop: options.stopSequences,
    seed: options.seed,
    messages,
  });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const nullish = (value: unknown): value is null | undefined => value === null || value === undefined;
const numberOrNullish = (value: unknown): boolean => nullish(value) || typeof value === 'number';

interface Choice {
  message: { content?: string | Array<{ type: string; text?: unknown }> | null; refusal?: unknown };
  finish_reason?: string | null;
}
interface Answer {
  choices: Choice[];
  usage?: { prompt_tokens?: number | null; completion_tokens?: number | null } | null;
}

/** What the SDK's response schema insists on: choices with a message, text content, numeric usage. */
function isAnswer(body: unknown): body is Answer {
  if (!isObject(body) || !Array.isArray(body.choices)) return false;
  for (const choice of body.choices) {
    if (!isObject(choice) || !isObject(choice.message)) return false;
    const { content, role } = choice.message;
    if (!nullish(role) && role !== 'assistant') return false;
    if (!nullish(content) && typeof content !== 'string') {
      if (!Array.isArray(content) || !content.every((part) => isObject(part) && typeof part.type === 'string'))
        return false;
    }
    if (!nullish(choice.finish_reason) && typeof choice.finish_reason !== 'string') return false;
  }
  const { usage } = body;
  return (
    nullish(usage) ||
    (isObject(usage) && numberOrNullish(usage.prompt_tokens) && numberOrNullish(usage.completion_tokens))
  );
}

/** The answer's text: the content (a string, or its text parts) and a refusal, as the SDK joins them. */
function answerText(message: Choice['message']): string {
  const { content, refusal } = message;
  let text = typeof content === 'string' ? content : '';
  if (Array.isArray(content))
    for (const part of content) if (part.type === 'text' && typeof part.text === 'string') text += part.text;
  return typeof refusal === 'string' ? text + refusal : text;
}

/** The message of a failed answer: the OpenAI-style `error.message`, else nothing (as the SDK reads it here). */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    if (isObject(body) && isObject(body.error) && typeof body.error.message === 'string') return body.error.message;
  } catch {
    // not JSON
  }
  return '';
}

const FINISH: Record<string, 'stop' | 'length' | 'content-filter' | 'tool-calls'> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content-filter',
  function_call: 'tool-calls',
  tool_calls: 'tool-calls',
};

async function generate(
  endpoint: ChatEndpoint,
  target: Target,
  body: string,
  signal?: AbortSignal,
): Promise<LanguageModelV3GenerateResult> {
  const { status, text } = await postWhole(target, {
    headers: {
      ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}),
      'content-type': 'application/json',
      'user-agent': 'difyctl',
    },
    body,
    signal,
  });
  if (status < 200 || status > 299) throw statusError(endpoint.provider, status, errorMessage(text));
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  if (!isAnswer(answer)) throw statusError(endpoint.provider, status, 'Invalid JSON response');
  const choice = answer.choices[0];
  if (!choice) throw invokeError(endpoint.provider, 'other', 'Response did not contain any choices.');
  const answered = answerText(choice.message);
  const refused = typeof choice.message.refusal === 'string' && choice.message.refusal.length > 0;
  const raw = choice.finish_reason ?? undefined;
  const { usage } = answer;
  // The counts the runtime reads (totals); the SDK's finer ones (cache, reasoning) are not read here.
  const input = usage ? (usage.prompt_tokens ?? 0) : undefined;
  const output = usage ? (usage.completion_tokens ?? 0) : undefined;
  return {
    content: answered ? [{ type: 'text', text: answered }] : [],
    finishReason: { unified: raw === 'stop' && refused ? 'content-filter' : (FINISH[raw ?? ''] ?? 'other'), raw },
    usage: {
      inputTokens: { total: input, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: output, text: undefined, reasoning: undefined },
    },
    warnings: [],
  };
}

/**
 * The SDK's chat model, with blocking answers asked directly where the options allow (see above).
 * Everything else — streaming, the model's identity — is the SDK model's own.
 */
export function withWholeChat(model: LanguageModelV3, endpoint: ChatEndpoint): LanguageModelV3 {
  let target: Target | undefined;
  const otherKeys = sdkOptionKeys(endpoint.provider);
  const direct = Object.create(model) as LanguageModelV3;
  direct.doGenerate = async (options) => {
    const body = requestBody(endpoint, otherKeys, options);
    if (body === undefined) return model.doGenerate(options);
    // Built as the SDK builds it, at the first call: a malformed base URL fails the call, not the model.
    target ??= targetOf(`${endpoint.baseURL}/chat/completions`);
    return generate(endpoint, target, body, options.abortSignal);
  };
  return direct;
}
