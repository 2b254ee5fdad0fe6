/**
 * The `fetch` the AI SDK providers call model servers with: undici's `request()` on one keep-alive
 * agent, answered as a WHATWG `Response`. Node's own fetch is undici too, but its spec machinery
 * (request/response cloning, web-stream plumbing of every body, transferable abort signals) cost
 * about as much CPU per model call as the rest of a blocking answer. A streamed answer (SSE or
 * NDJSON) keeps its body as a stream; any other answer is read whole and handed over in one piece,
 * without a web stream unless a caller asks for one (wholeResponse).
 */
import { Readable } from 'node:stream';
import type { ReadableStreamReadResult, ReadableWritablePair, StreamPipeOptions } from 'node:stream/web';
import { Agent, request } from 'undici';

const agent = new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000 });

const STREAMED = /^(text\/event-stream|application\/x-ndjson|application\/ndjson)/i;
/** Statuses whose Response may carry no body. */
const NO_BODY = new Set([101, 204, 205, 304]);

type FetchInput = Parameters<typeof globalThis.fetch>[0];
type FetchInit = Parameters<typeof globalThis.fetch>[1];

const urlOf = (input: FetchInput): string =>
  typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;

function headersOf(init: FetchInit): Record<string, string> {
  const given = init?.headers;
  // The AI SDK hands a plain object of strings (withUserAgentSuffix): undici takes it as it is.
  if (given && Object.getPrototypeOf(given) === Object.prototype) {
    const entries = Object.entries(given as Record<string, unknown>);
    if (entries.every(([, value]) => typeof value === 'string')) return given as Record<string, string>;
  }
  const out: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

/** A body the SDKs send: JSON text, bytes, or nothing (anything else goes through Node's fetch). */
const plainBody = (body: unknown): body is string | Uint8Array | null | undefined =>
  body == null || typeof body === 'string' || body instanceof Uint8Array;

/** Where a request goes, as undici's dispatcher takes it: `https://host:port` and `/path?query`. */
export interface Target {
  origin: string;
  path: string;
}

export const targetOf = (url: string): Target => {
  const { origin, pathname, search } = new URL(url);
  return { origin, path: pathname + search };
};

/**
 * POSTs `body` and reads the answer whole, as text, on the agent's dispatcher directly: no Readable
 * for the body, no header object, no async resource (what `request()` makes for every call, and a
 * blocking chat reads only the status and the text). Rejects when the connection fails or `signal`
 * aborts (with its reason).
 */
export function postWhole(
  target: Target,
  init: { headers: Record<string, string>; body: string; signal?: AbortSignal },
): Promise<{ status: number; text: string }> {
  const { signal } = init;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status = 0;
    let abort: ((reason?: Error) => void) | undefined;
    const onAbort = (): void => abort?.(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => signal?.removeEventListener('abort', onAbort);
    const fail = (error: Error): void => {
      settle();
      reject(error);
    };
    try {
      agent.dispatch(
        { origin: target.origin, path: target.path, method: 'POST', headers: init.headers, body: init.body },
        {
          onConnect: (abortRequest) => {
            abort = abortRequest;
            if (signal?.aborted) abortRequest(signal.reason);
          },
          onHeaders: (statusCode) => {
            status = statusCode;
            return true;
          },
          onData: (chunk) => {
            chunks.push(chunk);
            return true;
          },
          onComplete: () => {
            settle();
            resolve({ status, text: Buffer.concat(chunks).toString('utf8') });
          },
          onError: fail,
        },
      );
    } catch (error) {
      // Options undici refuses outright: no request went out.
      fail(error as Error);
    }
  });
}

export const modelFetch: typeof globalThis.fetch = async (input, init) => {
  if (typeof input !== 'string' && !(input instanceof URL)) return globalThis.fetch(input, init);
  if (!plainBody(init?.body)) return globalThis.fetch(input, init);
  const res = await request(urlOf(input), {
    method: (init?.method ?? 'GET') as 'GET',
    headers: headersOf(init),
    body: init?.body ?? undefined,
    signal: init?.signal ?? undefined,
    dispatcher: agent,
  });
  // Name/value pairs, filled once into the Response's own Headers.
  const headers: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.push([name, v]);
    else if (value !== undefined) headers.push([name, value]);
  }
  const init2 = { status: res.statusCode, headers };
  if (NO_BODY.has(res.statusCode)) {
    res.body.resume();
    return new Response(null, init2);
  }
  if (STREAMED.test(String(res.headers['content-type'] ?? '')))
    // Node's web-stream bridge of the same body Node's fetch would have given.
    return new Response(Readable.toWeb(res.body) as ReadableStream<Uint8Array>, init2);
  return wholeResponse(new Uint8Array(await res.body.arrayBuffer()), init2);
};

/**
 * A body already read whole, as the SDKs read it: `getReader()` and `cancel()` hand the bytes over
 * without a web stream (on Node 20 each `ReadableStream` costs a transferable object, most of what
 * a `Response` costs). Whatever else a caller asks of a stream (pipeThrough, tee, iteration) gets a
 * real one, built from the same bytes the first time.
 */
class WholeBody {
  #bytes: Uint8Array | undefined;
  #stream: ReadableStream<Uint8Array> | undefined;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  /** The bytes, once: a second read gets none, as from a drained stream. */
  take(): Uint8Array | undefined {
    const bytes = this.#bytes;
    this.#bytes = undefined;
    return bytes;
  }
  get disturbed(): boolean {
    return this.#bytes === undefined && this.#stream === undefined;
  }
  get locked(): boolean {
    return this.#stream?.locked ?? false;
  }
  getReader(): ReadableStreamDefaultReader<Uint8Array> {
    if (this.#stream) return this.#stream.getReader();
    const reader = {
      read: async (): Promise<ReadableStreamReadResult<Uint8Array>> => {
        const bytes = this.take();
        return bytes ? { done: false, value: bytes } : { done: true, value: undefined };
      },
      cancel: async (): Promise<void> => {
        this.take();
      },
      releaseLock: (): void => {},
      closed: Promise.resolve(undefined),
    };
    return reader as ReadableStreamDefaultReader<Uint8Array>;
  }
  async cancel(): Promise<void> {
    if (this.#stream) return this.#stream.cancel();
    this.take();
  }
  #real(): ReadableStream<Uint8Array> {
    this.#stream ??= new Response(this.take() ?? null).body ?? new ReadableStream({ start: (c) => c.close() });
    return this.#stream;
  }
  pipeThrough<T>(transform: ReadableWritablePair<T, Uint8Array>, options?: StreamPipeOptions): ReadableStream<T> {
    return this.#real().pipeThrough(transform, options);
  }
  pipeTo(destination: WritableStream<Uint8Array>, options?: StreamPipeOptions): Promise<void> {
    return this.#real().pipeTo(destination, options);
  }
  tee(): [ReadableStream<Uint8Array>, ReadableStream<Uint8Array>] {
    return this.#real().tee();
  }
  values(options?: { preventCancel?: boolean }): AsyncIterableIterator<Uint8Array> {
    return this.#real().values(options);
  }
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this.values();
  }
}

const decoder = new TextDecoder();

/**
 * A `Response` whose body was read whole from the model server: the real class (headers, status,
 * `instanceof`), with a WholeBody and the body methods reading from it.
 */
function wholeResponse(bytes: Uint8Array, init: ResponseInit): Response {
  const response = new Response(null, init);
  const body = new WholeBody(bytes);
  const read = (): Uint8Array => {
    if (body.disturbed || body.locked) throw new TypeError('Body is unusable: Body has already been read');
    return body.take() ?? new Uint8Array(0);
  };
  const arrayBuffer = async (): Promise<ArrayBuffer> => {
    const whole = read();
    return whole.buffer.slice(whole.byteOffset, whole.byteOffset + whole.byteLength) as ArrayBuffer;
  };
  const text = async (): Promise<string> => decoder.decode(read());
  return Object.defineProperties(response, {
    body: { get: () => body },
    bodyUsed: { get: () => body.disturbed },
    arrayBuffer: { value: arrayBuffer },
    bytes: { value: async () => new Uint8Array(await arrayBuffer()) },
    text: { value: text },
    json: { value: async () => JSON.parse(await text()) },
    blob: { value: async () => new Blob([await arrayBuffer()], { type: response.headers.get('content-type') ?? '' }) },
    clone: {
      value: () => {
        if (body.disturbed) throw new TypeError('Response.clone: Body has already been consumed.');
        return wholeResponse(bytes, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
      },
    },
  });
}
