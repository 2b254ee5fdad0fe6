/**
 * The model runtime's contract: what the api (service API, console) and the worker (knowledge
 * indexing, conversation names) ask of models. Mirrors Dify's `core/model_runtime`: providers with
 * Dify's credential field names behind one interface; the AI SDK does the HTTP.
 *
 * This module imports nothing from `server/`: the worker uses it too.
 *
 * Added by the runtime (members only; nothing above or below changed shape):
 * - `createModelRuntime({ pool, secretKey, pluginsDir, logger, timeouts? })` (index.ts) returns a
 *   `ModelRuntimeService`: this `ModelRuntime` plus `console` (the console routes' operations),
 *   `providers()` and `pluginFiles`. The api registers it as `AppContext.modelRuntime`
 *   (`createApp({ modelRuntime })` injects one, e.g. with short timeouts in tests).
 * - `ModelRuntimeError.kind` / `.upstreamStatus` on provider failures (below).
 * - Credentials use Dify's variable names: openai `openai_api_key` (`api_key` accepted too),
 *   `openai_api_base` (the host; `/v1` is added), `openai_organization`; anthropic
 *   `anthropic_api_key`, `anthropic_api_url`; azure_openai `openai_api_base`, `openai_api_key`,
 *   `openai_api_version`, `base_model_name` (model = deployment); ollama `base_url`, `mode`,
 *   `context_size`, `max_tokens`; openai_api_compatible `endpoint_url` (with /v1), `api_key`, `mode`,
 *   `context_size`, `max_tokens_to_sample`, `endpoint_model_name`. openai and anthropic are configured
 *   per provider (`POST …/model-providers/<p>/credentials`), the others per model
 *   (`POST …/model-providers/<p>/models` with `{ model, model_type, credentials }`).
 * - Calls are bounded (default: 60 s without a byte, 300 s in all) and never retried.
 */

/** Model types, as Dify names them. */
export type ModelType = 'llm' | 'text-embedding';

/** How an LLM is driven: chat messages, or one completion prompt. */
export type LlmMode = 'chat' | 'completion';

export type PromptContent =
  | { type: 'text'; text: string }
  | { type: 'image' /** http(s) or data: URL */; url: string; mimeType?: string };

export interface PromptMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | PromptContent[];
}

/** Dify's `completion_params` (the model config's `model.completion_params`); unknown keys pass through. */
export interface CompletionParams {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  stop?: string[];
  [key: string]: unknown;
}

/** Which model of which provider, in which workspace (credentials are per tenant). */
export interface ModelRef {
  tenantId: string;
  /** Dify's provider name: `openai`, `azure_openai`, `anthropic`, `ollama`, `openai_api_compatible`, or a plugin's. */
  provider: string;
  model: string;
}

export interface LlmInvocation extends ModelRef {
  /** @default the model's own mode (chat for built-in chat models) */
  mode?: LlmMode;
  messages: PromptMessage[];
  parameters?: CompletionParams;
  /** Aborts the upstream call (a client that disconnects, a stop request). */
  signal?: AbortSignal;
  /** The end user, passed on as OpenAI's `user`. */
  user?: string;
  /**
   * false: the model is asked for the whole answer in one response (Dify invokes the model with the
   * request's own `stream`: a blocking answer is not streamed upstream either); textStream then
   * yields it once. @default true
   */
  stream?: boolean;
}

/** Dify's `LLMUsage` exactly as `metadata.usage` carries it (prices are decimal strings). */
export interface LlmUsage {
  prompt_tokens: number;
  prompt_unit_price: string;
  prompt_price_unit: string;
  prompt_price: string;
  completion_tokens: number;
  completion_unit_price: string;
  completion_price_unit: string;
  completion_price: string;
  total_tokens: number;
  total_price: string;
  currency: string;
  /** Seconds from the call to the last token. */
  latency: number;
}

export interface LlmResult {
  /** The whole answer (what the text stream yielded, joined). */
  text: string;
  usage: LlmUsage;
  /** `aborted`: the signal fired; the text so far is kept. */
  finishReason: 'stop' | 'length' | 'aborted' | 'other';
}

/**
 * One LLM call. Iterate `textStream` for the deltas (it throws a ModelRuntimeError on a provider
 * failure); `result` settles once the stream is done (also when nobody iterates it: blocking callers
 * may just await `result`). An abort is not an error: `result` resolves with `finishReason: 'aborted'`.
 */
export interface LlmCall {
  textStream: AsyncIterable<string>;
  result: Promise<LlmResult>;
}

export interface EmbeddingResult {
  embeddings: number[][];
  usage: { tokens: number; total_price: string; currency: string; latency: number };
}

/**
 * Dify's error codes for model failures, with the HTTP status the service API answers
 * (api/controllers/service_api/app/error.py): all 400 except the rate limit (429).
 */
export type ModelErrorCode =
  | 'provider_not_initialize'
  | 'provider_quota_exceeded'
  | 'model_currently_not_support'
  | 'completion_request_error'
  | 'rate_limit_error';

/**
 * Which of Dify's `InvokeError`s a provider failure is (core/model_runtime/errors/invoke.py). Dify
 * answers all of them as `completion_request_error` (400) with the description as message, e.g.
 * `[openai] Rate Limit Error, …`; the kind is for callers that need more (logs, retries).
 * (Added by the runtime: optional member, the contract's shape is unchanged.)
 */
export type InvokeErrorKind =
  | 'connection'
  | 'server_unavailable'
  | 'rate_limit'
  | 'authorization'
  | 'bad_request'
  | 'other';

export class ModelRuntimeError extends Error {
  readonly code: ModelErrorCode;
  readonly status: number;
  /** For provider failures (code `completion_request_error`): Dify's InvokeError kind. */
  readonly kind?: InvokeErrorKind;
  /** The provider's HTTP status, when it answered one. */
  readonly upstreamStatus?: number;
  constructor(
    code: ModelErrorCode,
    message: string,
    options: { status?: number; cause?: unknown; kind?: InvokeErrorKind; upstreamStatus?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ModelRuntimeError';
    this.code = code;
    this.status = options.status ?? (code === 'rate_limit_error' ? 429 : 400);
    if (options.kind) this.kind = options.kind;
    if (options.upstreamStatus !== undefined) this.upstreamStatus = options.upstreamStatus;
  }
}

export interface ModelRuntime {
  invokeLlm(request: LlmInvocation): LlmCall;
  embed(request: ModelRef & { texts: string[]; signal?: AbortSignal }): Promise<EmbeddingResult>;
  /** Tokens of a text or of a prompt (a tokenizer, not a guess by characters). */
  countTokens(input: string | PromptMessage[]): number;
  /** The model's context window in tokens: its credentials' `context_size`, a known model's, else 4096. */
  contextSize(ref: ModelRef): Promise<number>;
  /** The workspace's default model of a type (console `default-model`), if one is set or can be inferred. */
  defaultModel(tenantId: string, type: ModelType): Promise<{ provider: string; model: string } | undefined>;
}
