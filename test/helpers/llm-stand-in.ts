/**
 * A real LLM server on loopback for tests: `@copilotkit/aimock` on a free 127.0.0.1 port, answering
 * every chat request with one reply (streaming or not) and every embedding request with
 * deterministic vectors. It speaks OpenAI (`/v1/chat/completions`, `/v1/embeddings`, `/v1/models`),
 * Azure OpenAI (`/openai/deployments/<d>/...`), Anthropic (`/v1/messages`) and Ollama (`/api/chat`,
 * `/api/generate`, `/api/embed`). aimock has no legacy `/v1/completions`; this helper adds it by
 * translating to its own chat endpoint, so completion-mode models answer the same reply. aimock's
 * `/api/embed` answers the old single-vector shape; this helper answers Ollama's real one
 * (`{ embeddings: [[…], …] }`, one per input) from aimock's deterministic embeddings.
 *
 *   const llm = await startStandIn({ reply: 'Hello from the stand-in.' });
 *   // openai / openai_api_compatible: llm.openaiBaseUrl (…/v1)   anthropic: llm.anthropicBaseUrl
 *   // ollama: llm.url                                              azure_openai: llm.url
 *   llm.failNext(429);                 // the next request gets a 429 (with Retry-After)
 *   llm.setReply('Another answer.');   // later requests get this text
 *   llm.requests();                    // what it received (path, body), oldest first
 *   await llm.close();
 *
 * `apiKeys` makes it check keys like a real provider (401 `invalid_api_key` otherwise);
 * `latencyMs` delays each streamed chunk; `mock` is the aimock instance for anything else
 * (fixtures per message, chaos: `mock.setChaos({ malformedRate: 1 })`, …).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LLMock, type ChaosConfig, type JournalEntry } from '@copilotkit/aimock';

export const DEFAULT_REPLY = 'Hello from the stand-in.';

export interface StandInOptions {
  /** What every chat/completion request answers. @default DEFAULT_REPLY */
  reply?: string;
  /** Keys accepted (`Authorization: Bearer`, `x-api-key`, `api-key`); omitted: any key or none. */
  apiKeys?: string[];
  /** Delay between streamed chunks, ms. @default 0 */
  latencyMs?: number;
  /** Characters per streamed chunk. @default aimock's (20) */
  chunkSize?: number;
  /** Token counts to report instead of aimock's estimate. */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** The address it listens on (e.g. a test network's gateway, test/helpers/netns.ts). @default 127.0.0.1 */
  host?: string;
}

export interface StandIn {
  /** http://127.0.0.1:PORT (Ollama's and Azure's base URL). */
  url: string;
  /** url + '/v1': OpenAI and OpenAI-compatible base URL. */
  openaiBaseUrl: string;
  /** url + '/v1': Anthropic's base URL (the AI SDK appends `/messages`). */
  anthropicBaseUrl: string;
  port: number;
  mock: LLMock;
  /** Later chat/completion requests answer `text`. */
  setReply(text: string): void;
  /** The next model request (chat, completion or embedding) fails with `status`. */
  failNext(status: number, error?: { message?: string; type?: string; code?: string }): void;
  setChaos(config: ChaosConfig): void;
  clearChaos(): void;
  /** Requests received, oldest first. An adapted call (`/v1/completions`, `/api/embed`) shows with its path and the body it was translated to. */
  requests(): Array<{ method: string; path: string; body: unknown; status: number }>;
  close(): Promise<void>;
}

const ADAPTOR_HEADER = 'x-stand-in-adaptor';

/** The path the client called: an adaptor's own hop shows as the adapted endpoint. */
const adaptedPath = (r: JournalEntry): string =>
  !r.headers[ADAPTOR_HEADER] ? r.path : r.path === '/v1/embeddings' ? '/api/embed' : '/v1/completions';

/** The caller's key headers, so the mock checks keys on an adapted call as on any other. */
function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', [ADAPTOR_HEADER]: '1' };
  for (const name of ['authorization', 'x-api-key', 'api-key']) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

/** `/v1/completions` → the mock's own `/v1/chat/completions`, mapped back to the legacy shapes. */
function legacyCompletions(base: () => string) {
  return {
    async handleRequest(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
      if (req.method !== 'POST' || pathname !== '/') return false;
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        model?: string;
        prompt?: string | string[];
        stream?: boolean;
        [k: string]: unknown;
      };
      const prompt = Array.isArray(body.prompt) ? body.prompt.join('\n') : String(body.prompt ?? '');
      const upstream = await fetch(`${base()}/v1/chat/completions`, {
        method: 'POST',
        headers: forwardedHeaders(req),
        body: JSON.stringify({
          ...body,
          prompt: undefined,
          messages: [{ role: 'user', content: prompt }],
          ...(body.stream ? { stream_options: { include_usage: true } } : {}),
        }),
      });
      res.statusCode = upstream.status;
      res.setHeader('content-type', upstream.headers.get('content-type') ?? 'application/json');
      const retryAfter = upstream.headers.get('retry-after');
      if (retryAfter) res.setHeader('retry-after', retryAfter);
      if (!upstream.ok || !upstream.body) {
        res.end(await upstream.text());
        return true;
      }
      if (!body.stream) {
        const text = await upstream.text();
        res.end(mapCompletion(text));
        return true;
      }
      let pending = '';
      const decoder = new TextDecoder();
      for await (const part of upstream.body) {
        pending += decoder.decode(part as Uint8Array, { stream: true });
        let cut: number;
        while ((cut = pending.indexOf('\n\n')) >= 0) {
          res.write(`${mapEvent(pending.slice(0, cut))}\n\n`);
          pending = pending.slice(cut + 2);
        }
      }
      if (pending) res.write(pending);
      res.end();
      return true;
    },
  };
}

/** Ollama's `/api/embed` as Ollama answers it, from the mock's `/v1/embeddings`. */
function ollamaEmbed(base: () => string) {
  return {
    async handleRequest(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
      if (req.method !== 'POST' || pathname !== '/') return false;
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model?: string; input?: string | string[] };
      const input = Array.isArray(body.input) ? body.input : [String(body.input ?? '')];
      const upstream = await fetch(`${base()}/v1/embeddings`, {
        method: 'POST',
        headers: forwardedHeaders(req),
        body: JSON.stringify({ model: body.model, input }),
      });
      res.setHeader('content-type', 'application/json');
      res.statusCode = upstream.status;
      if (!upstream.ok) {
        res.end(await upstream.text());
        return true;
      }
      const parsed = (await upstream.json()) as { data: Array<{ embedding: number[] }> };
      res.end(
        JSON.stringify({
          model: body.model,
          embeddings: parsed.data.map((d) => d.embedding),
          total_duration: 0,
          load_duration: 0,
          prompt_eval_count: input.length,
        }),
      );
      return true;
    },
  };
}

type ChatChunk = {
  id?: string;
  created?: number;
  model?: string;
  usage?: unknown;
  choices?: Array<{
    index?: number;
    delta?: { content?: string };
    message?: { content?: string };
    finish_reason?: string | null;
  }>;
};

function legacyChoices(parsed: ChatChunk) {
  return (parsed.choices ?? []).map((c) => ({
    index: c.index ?? 0,
    text: c.delta?.content ?? c.message?.content ?? '',
    logprobs: null,
    finish_reason: c.finish_reason ?? null,
  }));
}

function mapCompletion(text: string): string {
  try {
    const parsed = JSON.parse(text) as ChatChunk;
    return JSON.stringify({
      id: parsed.id,
      object: 'text_completion',
      created: parsed.created,
      model: parsed.model,
      choices: legacyChoices(parsed),
      usage: parsed.usage,
    });
  } catch {
    return text; // malformed on purpose (chaos): pass it on as is
  }
}

function mapEvent(event: string): string {
  if (!event.startsWith('data: ') || event === 'data: [DONE]') return event;
  try {
    const parsed = JSON.parse(event.slice(6)) as ChatChunk;
    const mapped = {
      id: parsed.id,
      object: 'text_completion',
      created: parsed.created,
      model: parsed.model,
      choices: legacyChoices(parsed),
      ...(parsed.usage ? { usage: parsed.usage } : {}),
    };
    return `data: ${JSON.stringify(mapped)}`;
  } catch {
    return event;
  }
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const mock = new LLMock({
    port: 0,
    host: options.host ?? '127.0.0.1',
    ...(options.apiKeys ? { auth: { apiKeys: options.apiKeys } } : {}),
    ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
  });
  let reply = options.reply ?? DEFAULT_REPLY;
  // A factory, so setReply takes effect without re-registering fixtures.
  mock.addFixture({
    match: { endpoint: 'chat' },
    response: () => ({ content: reply, ...(options.usage ? { usage: options.usage } : {}) }),
    ...(options.latencyMs ? { latency: options.latencyMs } : {}),
  });
  let url = '';
  mock.mount(
    '/v1/completions',
    legacyCompletions(() => url),
  );
  mock.mount(
    '/api/embed',
    ollamaEmbed(() => url),
  );
  url = await mock.start();
  const openaiBaseUrl = `${url}/v1`;
  return {
    url,
    openaiBaseUrl,
    anthropicBaseUrl: openaiBaseUrl,
    port: mock.port,
    mock,
    setReply: (text) => {
      reply = text;
    },
    failNext: (status, error) => {
      mock.nextRequestError(status, {
        message: error?.message ?? `stand-in error ${status}`,
        ...(error?.type ? { type: error.type } : {}),
        ...(error?.code ? { code: error.code } : {}),
      });
    },
    setChaos: (config) => {
      mock.setChaos(config);
    },
    clearChaos: () => {
      mock.clearChaos();
    },
    requests: () =>
      mock.getRequests().map((r: JournalEntry) => ({
        method: r.method,
        path: adaptedPath(r),
        body: r.body,
        status: r.response.status,
      })),
    close: () => mock.stop(),
  };
}
