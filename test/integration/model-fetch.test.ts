/**
 * modelFetch against a real HTTP server on loopback: a whole (JSON) answer is handed over without a
 * web stream but reads like any Response, through the AI SDK's own reader too; a streamed answer
 * (SSE) stays a stream; a bodiless status has no body.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readResponseWithSizeLimit } from '@ai-sdk/provider-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFetch } from '../../src/model-runtime/model-fetch.js';

const ANSWER = { id: 'chatcmpl-1', choices: [{ message: { role: 'assistant', content: 'Füchse – "foxes"' } }] };
let server: http.Server;
let base: string;
/** The headers of the last request the server got. */
let seen: http.IncomingHttpHeaders = {};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen = req.headers;
    if (req.url === '/json') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'r-1', 'x-seen-by': ['a', 'b'] });
      res.end(JSON.stringify(ANSWER));
    } else if (req.url === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
      res.end('data: [DONE]\n\n');
    } else if (req.url === '/error') {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"slow down"}}');
    } else {
      res.writeHead(204);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (route: string) => modelFetch(`${base}${route}`, { method: 'POST', body: '{}' });

describe('modelFetch: the request', () => {
  it("sends the caller's headers, given as an object (as the AI SDK does) or as Headers", async () => {
    const body = JSON.stringify({ model: 'm' });
    await modelFetch(`${base}/json`, {
      method: 'POST',
      body,
      headers: { Authorization: 'Bearer sk-1', 'X-Trace': 't' },
    });
    expect([seen.authorization, seen['x-trace']]).toEqual(['Bearer sk-1', 't']);
    await modelFetch(`${base}/json`, { method: 'POST', body, headers: new Headers({ authorization: 'Bearer sk-2' }) });
    expect(seen.authorization).toBe('Bearer sk-2');
  });
});

describe('modelFetch: a whole answer', () => {
  it("reads through the AI SDK's reader, once, and keeps status and headers", async () => {
    const res = await post('/json');
    expect(res).toBeInstanceOf(Response);
    expect([res.status, res.ok, res.headers.get('x-request-id'), res.headers.get('x-seen-by')]).toEqual([
      200,
      true,
      'r-1',
      'a, b',
    ]);
    expect(res.bodyUsed).toBe(false);
    const bytes = await readResponseWithSizeLimit({ response: res, url: `${base}/json` });
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual(ANSWER);
    expect(res.bodyUsed).toBe(true);
    await expect(res.text()).rejects.toThrow(/already been read/);
  });

  it('reads as text, JSON, bytes and a clone, each of its own copy', async () => {
    const res = await post('/json');
    const copy = res.clone();
    expect(await res.json()).toEqual(ANSWER);
    expect(await copy.text()).toBe(JSON.stringify(ANSWER));
    expect(new TextDecoder().decode(await (await post('/json')).arrayBuffer())).toBe(JSON.stringify(ANSWER));
    expect(() => res.clone()).toThrow(/consumed/);
  });

  it('becomes a real stream for whoever pipes or iterates it', async () => {
    const piped = (await post('/json')).body!.pipeThrough(new TextDecoderStream());
    let text = '';
    for await (const chunk of piped) text += chunk;
    expect(JSON.parse(text)).toEqual(ANSWER);
    const chunks: Uint8Array[] = [];
    for await (const chunk of (await post('/json')).body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8'))).toEqual(ANSWER);
  });

  it('hands an error status over with its body, and a bodiless status without one', async () => {
    const refused = await post('/error');
    expect([refused.status, refused.ok]).toEqual([429, false]);
    expect(await refused.json()).toEqual({ error: { message: 'slow down' } });
    const empty = await post('/none');
    expect([empty.status, empty.body]).toEqual([204, null]);
  });
});

describe('modelFetch: a streamed answer', () => {
  it('stays a web stream', async () => {
    const res = await post('/sse');
    expect(res.body).toBeInstanceOf(ReadableStream);
    expect(await res.text()).toBe('data: {"n":1}\n\ndata: [DONE]\n\n');
  });
});
