/**
 * Bad input and provider faults on /v1/chat-messages and /v1/completion-messages: each answers
 * Dify's code as JSON (blocking) or as an `error` event that ends the stream — never a 500, never a
 * hung request — and the message row is kept with status `error`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { createAppWithKey, json, modelConfig } from './apps-fixtures.js';
import { MODEL, sseEvents, startHarness, type Harness } from './apps-harness.js';
import { useServers, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let redis: TestRedis;
let llm: StandIn;
let h: Harness;
useServers((servers) => ({ pg, redis } = servers));
beforeAll(async () => {
  llm = await startStandIn();
  h = await startHarness({ pg, redis, llm });
});
afterAll(async () => {
  await h?.close();
  await llm?.close();
});

const post = (url: string, key: string, payload: object) =>
  h.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload });
const chat = (payload: object) =>
  post('/v1/chat-messages', h.chat.key, { inputs: { name: 'Ada' }, query: 'Hi', user: 'u1', ...payload });

async function lastMessageRow(appId: string) {
  const [row] = await h.sql<{ status: string; error: string | null; answer: string }>(
    `SELECT status, error, answer FROM messages WHERE app_id = '${appId}' ORDER BY created_at DESC LIMIT 1`,
  );
  return row;
}

describe('bad input', () => {
  it.each([
    ['missing query', { query: undefined }, 'query'],
    ['a query that is not a string', { query: 42 }, 'query'],
    ['a bad response_mode', { response_mode: 'fast' }, 'response_mode'],
    ['inputs that are not an object', { inputs: 'x' }, 'inputs'],
    ['a required input missing', { inputs: {} }, 'name is required in input form'],
    [
      'an input over max_length',
      { inputs: { name: 'x'.repeat(31) } },
      'name in input form must be less than 30 characters',
    ],
    ['no user', { user: undefined }, 'Arg user must be provided.'],
    ['a conversation_id that is not a UUID', { conversation_id: 'nope' }, 'conversation_id'],
  ])('%s → 400 invalid_param naming the field', async (_what, payload, field) => {
    const res = await chat(payload);
    expect(res.statusCode).toBe(400);
    expect(json(res)).toMatchObject({ code: 'invalid_param', status: 400 });
    expect(json(res).message).toContain(field);
  });

  it('answers not_chat_app for a completion app on /chat-messages and app_unavailable for a chat app on /completion-messages', async () => {
    const wrongChat = await post('/v1/chat-messages', h.completion.key, { inputs: {}, query: 'x', user: 'u1' });
    expect(json(wrongChat)).toMatchObject({ code: 'not_chat_app', status: 400 });
    const wrongCompletion = await post('/v1/completion-messages', h.chat.key, { inputs: {}, user: 'u1' });
    expect(json(wrongCompletion)).toMatchObject({ code: 'app_unavailable', status: 400 });
    expect(json(await post('/v1/chat-messages/some-task/stop', h.completion.key, { user: 'u1' }))).toMatchObject({
      code: 'not_chat_app',
    });
  });

  it('answers provider_not_initialize for an app without a model and for a provider without credentials, in both response modes', async () => {
    const bare = await createAppWithKey(h.app, h.auth, 'chat', 'no model');
    for (const mode of ['blocking', 'streaming']) {
      const res = await post('/v1/chat-messages', bare.key, {
        inputs: {},
        query: 'x',
        user: 'u1',
        response_mode: mode,
      });
      expect(res.statusCode).toBe(400);
      expect(json(res)).toMatchObject({ code: 'provider_not_initialize', status: 400 });
    }
    const unconfigured = await createAppWithKey(h.app, h.auth, 'completion', 'no credentials');
    await h.app.inject({
      method: 'POST',
      url: `/console/api/apps/${unconfigured.appId}/model-config`,
      headers: h.auth,
      payload: modelConfig({ model: { provider: 'ollama', name: 'llama3', mode: 'chat', completion_params: {} } }),
    });
    const res = await post('/v1/completion-messages', unconfigured.key, {
      inputs: {},
      user: 'u1',
      response_mode: 'streaming',
    });
    expect(json(res)).toMatchObject({ code: 'provider_not_initialize', status: 400 });
    expect(await lastMessageRow(unconfigured.appId)).toBeUndefined();
  });
});

describe('provider faults', () => {
  it.each([
    [401, 'Incorrect model credentials'],
    [429, 'Rate Limit Error'],
    [500, 'Server Unavailable Error'],
    [503, 'Server Unavailable Error'],
  ])(
    'a provider %i answers completion_request_error as JSON (blocking) and keeps the message row as an error',
    async (status, text) => {
      llm.failNext(status);
      const res = await chat({ response_mode: 'blocking' });
      expect(res.statusCode).toBe(400);
      expect(json(res)).toMatchObject({ code: 'completion_request_error', status: 400 });
      expect(json(res).message).toContain(text);
      const row = await lastMessageRow(h.chat.appId);
      expect(row).toMatchObject({ status: 'error', answer: '' });
      expect(row!.error).toContain(text);
    },
  );

  it.each([429, 500])('a provider %i while streaming is an error event that ends the stream', async (status) => {
    llm.failNext(status);
    const res = await chat({ response_mode: 'streaming' });
    expect(res.statusCode).toBe(200);
    const events = sseEvents(res.body);
    expect(events).toHaveLength(1);
    expect(Object.keys(events[0]!)).toEqual([
      'event',
      'conversation_id',
      'message_id',
      'created_at',
      'code',
      'status',
      'message',
    ]);
    expect(events[0]).toMatchObject({ event: 'error', code: 'completion_request_error', status: 400 });
    expect((await lastMessageRow(h.chat.appId))?.status).toBe('error');
  });

  it('a malformed stream is a completion_request_error, blocking and streaming, with openai_api_compatible and openai', async () => {
    await h.app.difyctx.modelRuntime.console.createModelCredential(h.tenantId, 'openai_api_compatible', {
      model: 'compat',
      type: 'llm',
      credentials: { endpoint_url: llm.openaiBaseUrl, mode: 'chat', context_size: '4096' },
    });
    const target = await createAppWithKey(h.app, h.auth, 'chat', 'compatible');
    await h.app.inject({
      method: 'POST',
      url: `/console/api/apps/${target.appId}/model-config`,
      headers: h.auth,
      payload: modelConfig({ model: { ...MODEL, provider: 'openai_api_compatible', name: 'compat' } }),
    });
    // h.chat answers with MODEL (openai): @ai-sdk/openai once ended such a stream as an empty answer.
    const apps = [
      { appId: target.appId, key: target.key, inputs: {} },
      { appId: h.chat.appId, key: h.chat.key, inputs: { name: 'Ada' } },
    ];
    llm.setChaos({ malformedRate: 1 });
    try {
      for (const app of apps) {
        const send = (mode: string) =>
          post('/v1/chat-messages', app.key, { inputs: app.inputs, query: 'x', user: 'u1', response_mode: mode });
        expect(json(await send('blocking'))).toMatchObject({ code: 'completion_request_error', status: 400 });
        expect(sseEvents((await send('streaming')).body).at(-1)).toMatchObject({
          event: 'error',
          code: 'completion_request_error',
        });
      }
    } finally {
      llm.clearChaos();
    }
    for (const app of apps) expect((await lastMessageRow(app.appId))?.status).toBe('error');
  });

  it('a provider that cannot be reached is a completion_request_error', async () => {
    const doomed = await startStandIn();
    await h.app.difyctx.modelRuntime.console.createProviderCredential(h.tenantId, 'anthropic', {
      credentials: { anthropic_api_key: 'sk-ant-stand-in', anthropic_api_url: doomed.url },
    });
    await doomed.close();
    const target = await createAppWithKey(h.app, h.auth, 'chat', 'unreachable');
    await h.app.inject({
      method: 'POST',
      url: `/console/api/apps/${target.appId}/model-config`,
      headers: h.auth,
      payload: modelConfig({ model: { ...MODEL, provider: 'anthropic', name: 'claude-3-5-haiku-latest' } }),
    });
    const res = await post('/v1/chat-messages', target.key, { inputs: {}, query: 'x', user: 'u1' });
    expect(json(res)).toMatchObject({ code: 'completion_request_error', status: 400 });
    expect(json(res).message).toContain('Connection Error');
    expect((await lastMessageRow(target.appId))?.status).toBe('error');
  });
});

describe('a provider that does not answer in time', () => {
  let slow: StandIn;
  let hs: Harness;
  beforeAll(async () => {
    slow = await startStandIn({ latencyMs: 400 });
    hs = await startHarness({ pg, redis, llm: slow, runtime: { timeouts: { idleMs: 150, totalMs: 1000 } } });
  });
  afterAll(async () => {
    await hs?.close();
    await slow?.close();
  });

  it('times out as completion_request_error, blocking and streaming, with the row kept', async () => {
    const send = (mode: string) =>
      hs.app.inject({
        method: 'POST',
        url: '/v1/chat-messages',
        headers: { authorization: `Bearer ${hs.chat.key}` },
        payload: { inputs: { name: 'Ada' }, query: 'Hi', user: 'u1', response_mode: mode },
      });
    // A blocking answer asks the model without streaming (as Dify): only the whole-call bound holds
    // it, so the stand-in holds its whole answer back past it.
    slow.setChaos({ latencyMs: 10_000 });
    try {
      expect(json(await send('blocking'))).toMatchObject({ code: 'completion_request_error', status: 400 });
    } finally {
      slow.clearChaos();
    }
    expect(sseEvents((await send('streaming')).body).at(-1)).toMatchObject({
      event: 'error',
      code: 'completion_request_error',
    });
    const rows = await hs.sql<{ status: string }>(`SELECT status FROM messages WHERE app_id = '${hs.chat.appId}'`);
    expect(rows.map((r) => r.status)).toEqual(['error', 'error']);
  });
});
