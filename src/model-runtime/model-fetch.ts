/**
 * The `fetch` the AI SDK providers call model servers with: undici's `request()` on one keep-alive
 * agent, answered as a WHATWG `Response`. Node's own fetch is undici too, but its spec machinery
 * (request/response cloning, web-stream plumbing of every body, transferable abort signals) cost
 * about as much CPU per model call as the rest of a blocking answer. A streamed answer (SSE or
 * NDJSON) keeps its body as a stream; any other answer is read whole and handed over in one piece.
 */
import { Readable } from 'node:stream';
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
  const out: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

/** A body the SDKs send: JSON text, bytes, or nothing (anything else goes through Node's fetch). */
const plainBody = (body: unknown): body is string | Uint8Array | null | undefined =>
  body == null || typeof body === 'string' || body instanceof Uint8Array;

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
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const init2 = { status: res.statusCode, headers };
  if (NO_BODY.has(res.statusCode)) {
    res.body.resume();
    return new Response(null, init2);
  }
  if (STREAMED.test(headers.get('content-type') ?? ''))
    // Node's web-stream bridge of the same body Node's fetch would have given.
    return new Response(Readable.toWeb(res.body) as ReadableStream<Uint8Array>, init2);
  return new Response(await res.body.arrayBuffer(), init2);
};
