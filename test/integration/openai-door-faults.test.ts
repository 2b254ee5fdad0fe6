/**
 * Faults and bad input on the OpenAI-compatible door (`/v1/chat/completions`, `/v1/completions`,
 * `/v1/embeddings`): each answers OpenAI's error shape with the status OpenAI's clients expect —
 * provider failures 502, rate limits 429, an app without a model 503, bad input 400 naming the
 * field — or, once an answer has started streaming, a `data: {"error": …}` chunk that ends it. The
 * message row is kept with status `error` in every case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { createAppWithKey, json, type Json } from './apps-fixtures.js';
import { startHarness, type Harness } from './apps-harness.js';
import { useServers, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let redis: TestRedis;
let llm: StandIn;
let h: Harness;
useServers((servers) => ({ pg, redis } = servers));
beforeAll(async () => {
  llm = await startStandIn();
  llm.mock.prependFixture({
    match: { userMessage: 'Cut me off' },
    response: { content: 'abcdefghij'.repeat(30) },
    chunkSize: 10,
    latency: 30,
    disconnectAfterMs: 300,
  });
  h = await startHarness({ pg, redis, llm });
});
afterAll(async () => {
  await h?.close();
  await llm?.close();
});

const post = (url: string, key: string, payload: object) =>
  h.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload });
const chat = (payload: Json, key = h.chat.key) =>
  post('/v1/chat/completions', key, {
    model: h.chat.appId,
    user: 'u1',
    inputs: { name: 'Ada' },
    messages: [{ role: 'user', content: 'Hi' }],
    ...payload,
  });

async function lastRow(appId: string): Promise<{ status: string; query: string } | undefined> {
  const [row] = await h.sql<{ status: string; query: string }>(
    `SELECT status, query FROM messages WHERE app_id = '${appId}' ORDER BY created_at DESC LIMIT 1`,
  );
  return row;
}

describe('bad input → 400 invalid_request_error naming the field', () => {
  it.each([
    ['no model', { model: undefined }, 'model: you must provide a model parameter'],
    ['no messages', { messages: [] }, 'messages: must hold at least one message'],
    ['n > 1', { n: 2 }, 'n: only 1 is supported'],
    ['tools', { tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools: tools are not supported'],
    [
      'a tool message',
      {
        messages: [
          { role: 'tool', content: 'x' },
          { role: 'user', content: 'q' },
        ],
      },
      'messages.0.role: tool messages are not supported',
    ],
    ['a required app input missing', { inputs: {} }, 'name is required in input form'],
    ['a conversation_id that is not a UUID', { conversation_id: 'nope' }, 'conversation_id: must be a UUID'],
  ])('%s', async (_what, payload, message) => {
    const res = await chat(payload);
    expect(res.statusCode).toBe(400);
    expect(json(res).error).toMatchObject({ type: 'invalid_request_error', param: null });
    expect(json(res).error.message).toContain(message);
  });

  it('an X-Dify-Conversation-Id that is not a UUID, or of another user, is refused', async () => {
    const bad = await h.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${h.chat.key}`, 'x-dify-conversation-id': 'nope' },
      payload: { model: h.chat.appId, inputs: { name: 'A' }, messages: [{ role: 'user', content: 'q' }] },
    });
    expect(json(bad).error.message).toBe('x-dify-conversation-id: must be a UUID');
    const mine = await chat({ user: 'owner' });
    const conversationId = mine.headers['x-dify-conversation-id'] as string;
    const theirs = await chat({ user: 'someone-else', conversation_id: conversationId });
    expect(theirs.statusCode).toBe(404);
    expect(json(theirs).error).toMatchObject({ code: 'not_found', message: 'Conversation Not Exists.' });
  });
});

describe('the body limit of a chat request', () => {
  it('takes inline images beyond the 1 MiB of JSON (up to three of UPLOAD_IMAGE_FILE_SIZE_LIMIT), and refuses more with 413 in OpenAI’s shape', async () => {
    const image = (bytes: number) => ({
      type: 'image_url',
      image_url: { url: `data:image/png;base64,${Buffer.alloc(bytes, 7).toString('base64')}` },
    });
    const content = [{ type: 'text', text: 'Look' }, image(2 * 1024 * 1024)];
    const taken = await chat({ messages: [{ role: 'user', content }] });
    expect(taken.statusCode, taken.body).toBe(200);
    const tooBig = await chat({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Look' }, image(45 * 1024 * 1024)] }],
    });
    expect(tooBig.statusCode).toBe(413);
    expect(json(tooBig).error).toMatchObject({ type: 'invalid_request_error', code: 'payload_too_large' });
  });
});

describe('provider faults', () => {
  it.each([
    [401, 502, 'server_error'],
    [500, 502, 'server_error'],
    [429, 429, 'requests'],
  ])(
    'the provider answering %i → %i (%s), blocking and streaming, the row kept as error',
    async (upstream, status, type) => {
      for (const stream of [false, true]) {
        llm.failNext(upstream);
        const res = await chat({ stream, messages: [{ role: 'user', content: `fault ${upstream} ${stream}` }] });
        expect(res.statusCode).toBe(status);
        expect(json(res).error).toMatchObject({ type });
        expect(await lastRow(h.chat.appId)).toEqual({ status: 'error', query: `fault ${upstream} ${stream}` });
      }
    },
  );

  it('a stream cut after its first tokens ends with an error chunk (no [DONE]) and the row keeps status error', async () => {
    const res = await chat({ stream: true, messages: [{ role: 'user', content: 'Cut me off' }] });
    expect(res.statusCode).toBe(200);
    const frames = res.body
      .split('\n\n')
      .filter((f) => f.startsWith('data: '))
      .map((f) => f.slice(6));
    expect(frames.length).toBeGreaterThan(1);
    expect(JSON.parse(frames[0]!)).toMatchObject({
      object: 'chat.completion.chunk',
      choices: [{ delta: { role: 'assistant' } }],
    });
    expect(JSON.parse(frames.at(-1)!).error).toMatchObject({ type: 'server_error', code: 'completion_request_error' });
    expect(frames).not.toContain('[DONE]');
    expect((await lastRow(h.chat.appId))?.status).toBe('error');
  });

  it('an app without a model → 503 provider_not_initialize', async () => {
    const bare = await createAppWithKey(h.app, h.auth, 'chat', 'no model yet');
    const res = await chat({ model: bare.appId }, bare.key);
    expect(res.statusCode).toBe(503);
    expect(json(res).error).toMatchObject({ type: 'server_error', code: 'provider_not_initialize' });
  });
});

describe('completion apps and embeddings', () => {
  it('a completion app answers on both doors (chat transcript or prompt), with its form inputs', async () => {
    const viaChat = await post('/v1/chat/completions', h.completion.key, {
      model: h.completion.appId,
      inputs: { topic: 'tea' },
      messages: [{ role: 'user', content: 'Short.' }],
    });
    expect(json(viaChat)).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { content: expect.any(String) } }],
    });
    expect(viaChat.headers['x-dify-conversation-id']).toBeUndefined();
    const missing = await post('/v1/completions', h.completion.key, { model: h.completion.appId, prompt: 'x' });
    expect(json(missing).error.message).toContain('topic is required in input form');
  });

  it('embeddings by model name or through the app (the workspace default); an unknown model is 404', async () => {
    const named = await post('/v1/embeddings', h.chat.key, {
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      encoding_format: 'float',
    });
    expect(named.statusCode).toBe(200);
    expect(json(named)).toMatchObject({
      object: 'list',
      model: 'text-embedding-3-small',
      data: [{ object: 'embedding', index: 0 }, { index: 1 }],
    });
    // Through the app: the workspace's default text-embedding model; base64 as OpenAI's SDKs ask.
    const viaApp = await post('/v1/embeddings', h.chat.key, {
      model: h.chat.appId,
      input: 'a',
      encoding_format: 'base64',
    });
    const bytes = Buffer.from(json(viaApp).data[0].embedding as string, 'base64');
    expect(bytes.length).toBe(json(named).data[0].embedding.length * 4);
    expect(bytes.readFloatLE(0)).toBeCloseTo(json(named).data[0].embedding[0] as number, 5);
    const unknown = await post('/v1/embeddings', h.chat.key, { model: 'nope', input: 'a' });
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown).error).toMatchObject({ code: 'model_not_found' });
    const tokens = await post('/v1/embeddings', h.chat.key, { model: 'text-embedding-3-small', input: [[1, 2, 3]] });
    expect(json(tokens).error.message).toContain('token arrays are not supported');
  });
});
