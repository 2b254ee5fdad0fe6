/**
 * The service API around the answers: conversations (last_id paging, sort_by, rename with or without
 * the model, delete), messages (first_id paging), feedback, suggested questions, conversation names
 * from the worker, and the console's app logs — against real PostgreSQL and the LLM stand-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelRuntime } from '../../src/model-runtime/index.js';
import { silentLogger } from '../../src/server/logger.js';
import { settingsFromEnv } from '../../src/server/settings.js';
import { CONVERSATION_NAME_TASK } from '../../src/server/services/conversation-names.js';
import { startWorker } from '../../src/server/worker/run-worker.js';
import { runTask } from '../../src/server/worker/tasks.js';
import { DEFAULT_REPLY, startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { json, type Json } from './apps-fixtures.js';
import { startHarness, waitFor, type Harness } from './apps-harness.js';
import { SECRET_KEY, serverEnv, useServers, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let llm: StandIn;
let h: Harness;
useServers((servers: { pg: TestPostgres; redis: TestRedis }) => ({ pg } = servers));
beforeAll(async () => {
  llm = await startStandIn();
  // The model's answers to the title and suggestion prompts (matched before the default reply).
  llm.mock.prependFixture({
    match: { userMessage: /Your Output/ },
    response: {
      content: '{"Language Type": "English", "Your Reasoning": "greeting", "Your Output": "Greeting the assistant"}',
    },
  });
  llm.mock.prependFixture({
    match: { userMessage: /questions:\s*$/ },
    response: { content: 'Sure: ["What next?", "Why?", "How so?"]' },
  });
  h = await startHarness({ pg, llm });
});
afterAll(async () => {
  await h?.close();
  await llm?.close();
});

const key = (which: 'chat' | 'completion' = 'chat') => ({ authorization: `Bearer ${h[which].key}` });
const get = (url: string, which: 'chat' | 'completion' = 'chat') =>
  h.app.inject({ method: 'GET', url, headers: key(which) });
const send = (method: 'POST' | 'DELETE', url: string, payload: object, which: 'chat' | 'completion' = 'chat') =>
  h.app.inject({ method, url, headers: key(which), payload });
const chat = async (user: string, query: string, conversationId?: string): Promise<Json> => {
  const res = await send('POST', '/v1/chat-messages', {
    inputs: { name: 'Ada' },
    query,
    user,
    response_mode: 'blocking',
    auto_generate_name: false,
    ...(conversationId ? { conversation_id: conversationId } : {}),
  });
  expect(res.statusCode, res.body).toBe(200);
  return json(res);
};

describe('conversations and messages of one end user', () => {
  let first: Json;
  let ids: string[];
  beforeAll(async () => {
    // alice: three conversations, the first with three messages; bob: one.
    first = await chat('alice', 'one');
    await chat('alice', 'two', first.conversation_id);
    await chat('alice', 'three', first.conversation_id);
    const second = await chat('alice', 'second conversation');
    const third = await chat('alice', 'third conversation');
    await chat('bob', 'hello from bob');
    ids = [third.conversation_id, second.conversation_id, first.conversation_id];
  });

  it('lists conversations newest-updated first, in last_id pages, in Dify’s shape', async () => {
    const page1 = json(await get('/v1/conversations?user=alice&limit=2'));
    expect(Object.keys(page1)).toEqual(['limit', 'has_more', 'data']);
    expect(page1).toMatchObject({ limit: 2, has_more: true });
    expect(page1.data.map((c: Json) => c.id)).toEqual(ids.slice(0, 2));
    expect(Object.keys(page1.data[0])).toEqual([
      'id',
      'name',
      'inputs',
      'status',
      'introduction',
      'created_at',
      'updated_at',
    ]);
    expect(page1.data[0]).toMatchObject({ name: 'New conversation', inputs: { name: 'Ada' }, status: 'normal' });
    const page2 = json(await get(`/v1/conversations?user=alice&limit=2&last_id=${page1.data[1].id}`));
    expect(page2).toMatchObject({ has_more: false });
    expect(page2.data.map((c: Json) => c.id)).toEqual([ids[2]]);
    const oldest = json(await get('/v1/conversations?user=alice&sort_by=created_at'));
    expect(oldest.data.map((c: Json) => c.id)).toEqual([...ids].reverse());
    // Scoped per user and per app.
    expect(json(await get('/v1/conversations?user=bob')).data).toHaveLength(1);
    expect(json(await get('/v1/conversations?user=nobody')).data).toEqual([]);
    expect(json(await get('/v1/conversations?user=alice&sort_by=name'))).toMatchObject({
      code: 'invalid_param',
      status: 400,
    });
    expect((await get(`/v1/conversations?user=bob&last_id=${ids[0]}`)).statusCode).toBe(404);
    expect(json(await get('/v1/conversations?user=alice', 'completion'))).toMatchObject({
      code: 'not_chat_app',
      status: 400,
    });
  });

  it('pages messages with first_id: the newest page first, each page oldest first', async () => {
    const page1 = json(await get(`/v1/messages?user=alice&conversation_id=${first.conversation_id}&limit=2`));
    expect(page1).toMatchObject({ limit: 2, has_more: true });
    expect(page1.data.map((m: Json) => m.query)).toEqual(['two', 'three']);
    expect(Object.keys(page1.data[0])).toEqual([
      'id',
      'conversation_id',
      'parent_message_id',
      'inputs',
      'query',
      'answer',
      'message_files',
      'feedback',
      'retriever_resources',
      'created_at',
      'agent_thoughts',
      'status',
      'error',
    ]);
    expect(page1.data[0]).toMatchObject({
      answer: DEFAULT_REPLY,
      feedback: null,
      status: 'normal',
      error: null,
      message_files: [],
      inputs: { name: 'Ada' },
    });
    const page2 = json(
      await get(
        `/v1/messages?user=alice&conversation_id=${first.conversation_id}&limit=2&first_id=${page1.data[0].id}`,
      ),
    );
    expect(page2).toMatchObject({ has_more: false });
    expect(page2.data.map((m: Json) => m.id)).toEqual([first.message_id]);
    expect((await get(`/v1/messages?user=bob&conversation_id=${first.conversation_id}`)).statusCode).toBe(404);
    expect(
      json(await get(`/v1/messages?user=alice&conversation_id=${first.conversation_id}&first_id=${ids[1]}`)),
    ).toMatchObject({ code: 'not_found', message: 'First Message Not Exists.' });
    expect(json(await get('/v1/messages?user=alice'))).toMatchObject({ code: 'invalid_param' });
  });

  it('records, changes and revokes an end user’s feedback', async () => {
    const url = `/v1/messages/${first.message_id}/feedbacks`;
    const rows = () =>
      h.sql<{ rating: string; content: string | null; from_source: string }>(
        `SELECT rating, content, from_source FROM message_feedbacks WHERE message_id = '${first.message_id}'`,
      );
    expect(json(await send('POST', url, { rating: 'like', user: 'alice' }))).toEqual({ result: 'success' });
    expect(await rows()).toEqual([{ rating: 'like', content: null, from_source: 'user' }]);
    await send('POST', url, { rating: 'dislike', content: 'too short', user: 'alice' });
    expect(await rows()).toEqual([{ rating: 'dislike', content: 'too short', from_source: 'user' }]);
    const listed = json(await get(`/v1/messages?user=alice&conversation_id=${first.conversation_id}&limit=3`));
    expect(listed.data[0].feedback).toEqual({ rating: 'dislike' });
    expect((await send('POST', url, { rating: null, user: 'alice' })).statusCode).toBe(200);
    expect(await rows()).toEqual([]);
    expect(json(await send('POST', url, { rating: null, user: 'alice' }))).toMatchObject({
      code: 'invalid_param',
      status: 400,
    });
    expect((await send('POST', url, { rating: 'like', user: 'bob' })).statusCode).toBe(404);
    expect(json(await send('POST', url, { rating: 'like' }))).toMatchObject({
      code: 'invalid_param',
      message: 'Arg user must be provided.',
    });
    expect(json(await send('POST', url, { rating: 'love', user: 'alice' }))).toMatchObject({ code: 'invalid_param' });
  });

  it('renames a conversation by name or through the model, and deletes it', async () => {
    const target = ids[1]!;
    const renamed = json(await send('POST', `/v1/conversations/${target}/name`, { name: 'Tea talk', user: 'alice' }));
    expect(renamed).toMatchObject({ id: target, name: 'Tea talk' });
    expect(Object.keys(renamed)).toEqual([
      'id',
      'name',
      'inputs',
      'status',
      'introduction',
      'created_at',
      'updated_at',
    ]);
    expect(json(await send('POST', `/v1/conversations/${target}/name`, { user: 'alice' }))).toMatchObject({
      code: 'invalid_param',
      message: 'name: name is required when auto_generate is false',
    });
    const generated = json(
      await send('POST', `/v1/conversations/${target}/name`, { auto_generate: true, user: 'alice' }),
    );
    expect(generated).toMatchObject({ id: target, name: 'Greeting the assistant' });
    const titleRequest = llm.requests().findLast((r) => JSON.stringify(r.body).includes('Your Output'));
    expect(JSON.stringify(titleRequest?.body)).toContain('second conversation');
    expect((await send('POST', `/v1/conversations/${target}/name`, { name: 'x', user: 'bob' })).statusCode).toBe(404);

    const deleted = await send('DELETE', `/v1/conversations/${target}`, { user: 'alice' });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expect(await h.sql(`SELECT is_deleted FROM conversations WHERE id = '${target}'`)).toEqual([{ is_deleted: true }]);
    expect(json(await get('/v1/conversations?user=alice')).data.map((c: Json) => c.id)).not.toContain(target);
    expect((await send('DELETE', `/v1/conversations/${target}`, { user: 'alice' })).statusCode).toBe(404);
  });

  it('suggests questions only when the app enables them, from the model’s JSON array', async () => {
    const url = `/v1/messages/${first.message_id}/suggested?user=alice`;
    expect(json(await get(url))).toMatchObject({ code: 'app_suggested_questions_after_answer_disabled', status: 403 });
    const config = json(
      await h.app.inject({ method: 'GET', url: `/console/api/apps/${h.chat.appId}`, headers: h.auth }),
    ).model_config as Json;
    const saved = await h.app.inject({
      method: 'POST',
      url: `/console/api/apps/${h.chat.appId}/model-config`,
      headers: h.auth,
      payload: { ...config, suggested_questions_after_answer: { enabled: true } },
    });
    expect(saved.statusCode, saved.body).toBe(200);
    // A conversation keeps the config it started with: a new one sees the feature.
    const fresh = await chat('alice', 'with suggestions');
    expect(json(await get(`/v1/messages/${fresh.message_id}/suggested?user=alice`))).toEqual({
      result: 'success',
      data: ['What next?', 'Why?', 'How so?'],
    });
    expect(JSON.stringify(llm.requests().at(-1)?.body)).toContain(
      `Human: with suggestions\\nAssistant: ${DEFAULT_REPLY}`,
    );
    expect((await get(`/v1/messages/${fresh.message_id}/suggested?user=bob`)).statusCode).toBe(404);
    expect(json(await get(`/v1/messages/${fresh.message_id}/suggested`))).toMatchObject({
      message: 'Arg user must be provided.',
    });
  });
});

describe('conversation names from the worker', () => {
  it('names a new conversation after its first message; a name the user set first is kept', async () => {
    const { settings } = settingsFromEnv(serverEnv({ db: h.db }));
    const runtime = await createModelRuntime({ pool: h.app.difyctx.pool, secretKey: SECRET_KEY });
    const worker = await startWorker({
      server: { settings, redisEnabled: false },
      queues: ['generation'],
      logger: silentLogger(),
      runtime,
      pollingIntervalSeconds: 0.5,
    });
    try {
      const res = await send('POST', '/v1/chat-messages', {
        inputs: { name: 'Ada' },
        query: 'hi there',
        user: 'carol',
        response_mode: 'blocking',
      });
      const conversationId = json(res).conversation_id as string;
      const named = await waitFor(
        async () =>
          (
            await h.sql<{ name: string }>(
              `SELECT name FROM conversations WHERE id = '${conversationId}' AND name <> 'New conversation'`,
            )
          )[0],
        'the generated name',
      );
      expect(named.name).toBe('Greeting the assistant');
      expect(json(await get('/v1/conversations?user=carol')).data[0]).toMatchObject({
        id: conversationId,
        name: 'Greeting the assistant',
      });
    } finally {
      await worker.stop(5000);
    }
    // The task finds a name the user chose meanwhile: it keeps it.
    const own = await chat('carol', 'named by hand');
    await send('POST', `/v1/conversations/${own.conversation_id}/name`, { name: 'Mine', user: 'carol' });
    await runTask(
      {
        id: 'test',
        queue: 'generation',
        name: CONVERSATION_NAME_TASK,
        data: { tenant_id: h.tenantId, app_id: h.chat.appId, conversation_id: own.conversation_id },
      },
      { pool: h.app.difyctx.pool, logger: silentLogger(), runtime },
    );
    expect(await h.sql(`SELECT name FROM conversations WHERE id = '${own.conversation_id}'`)).toEqual([
      { name: 'Mine' },
    ]);
    await expect(
      runTask(
        { id: 'test', queue: 'generation', name: CONVERSATION_NAME_TASK, data: { app_id: h.chat.appId } },
        { pool: h.app.difyctx.pool, logger: silentLogger(), runtime },
      ),
    ).rejects.toThrow(/required/);
  });
});

describe('console app logs', () => {
  it('lists chat conversations with summary, counts and feedback stats, in pages', async () => {
    const page = json(
      await h.app.inject({
        method: 'GET',
        url: `/console/api/apps/${h.chat.appId}/chat-conversations?limit=2&sort_by=created_at`,
        headers: h.auth,
      }),
    );
    expect(Object.keys(page)).toEqual(['page', 'limit', 'total', 'has_more', 'data']);
    const total = (
      await h.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM conversations WHERE app_id = '${h.chat.appId}' AND NOT is_deleted`,
      )
    )[0]!.n;
    expect(page).toMatchObject({ page: 1, limit: 2, total, has_more: true });
    const oldest = page.data[0] as Json;
    expect(Object.keys(oldest)).toEqual([
      'id',
      'status',
      'from_source',
      'from_end_user_id',
      'from_end_user_session_id',
      'from_account_id',
      'from_account_name',
      'name',
      'summary',
      'read_at',
      'created_at',
      'updated_at',
      'annotated',
      'model_config',
      'message_count',
      'user_feedback_stats',
      'admin_feedback_stats',
      'status_count',
    ]);
    expect(oldest).toMatchObject({
      from_source: 'api',
      from_end_user_session_id: 'alice',
      summary: 'one',
      message_count: 3,
      model_config: { model: { provider: 'openai', name: 'gpt-4o-mini' } },
    });
    const searched = json(
      await h.app.inject({
        method: 'GET',
        url: `/console/api/apps/${h.chat.appId}/chat-conversations?keyword=bob`,
        headers: h.auth,
      }),
    );
    expect(searched.data.map((c: Json) => c.summary)).toEqual(['hello from bob']);
    const wrong = await h.app.inject({
      method: 'GET',
      url: `/console/api/apps/${h.chat.appId}/completion-conversations`,
      headers: h.auth,
    });
    expect(json(wrong)).toMatchObject({ code: 'app_not_found', status: 404 });
  });

  it('lists completion conversations with their message, and a conversation’s messages with first_id', async () => {
    await send(
      'POST',
      '/v1/completion-messages',
      { inputs: { topic: 'tea' }, user: 'dave', response_mode: 'blocking' },
      'completion',
    );
    const completions = json(
      await h.app.inject({
        method: 'GET',
        url: `/console/api/apps/${h.completion.appId}/completion-conversations`,
        headers: h.auth,
      }),
    );
    expect(completions.data[0]).toMatchObject({
      from_end_user_session_id: 'dave',
      annotation: null,
      message: { inputs: { topic: 'tea' }, query: '', answer: DEFAULT_REPLY, message: 'Write about tea.' },
    });

    const [conversation] = await h.sql<{ id: string }>(
      `SELECT id FROM conversations WHERE app_id = '${h.chat.appId}' AND NOT is_deleted ORDER BY created_at LIMIT 1`,
    );
    const url = `/console/api/apps/${h.chat.appId}/chat-messages?conversation_id=${conversation!.id}&limit=2`;
    const page = json(await h.app.inject({ method: 'GET', url, headers: h.auth }));
    expect(page).toMatchObject({ limit: 2, has_more: true });
    expect(page.data.map((m: Json) => m.query)).toEqual(['two', 'three']);
    expect(page.data[0]).toMatchObject({ from_source: 'api', status: 'normal' });
    // The prompt as sent: the system prompt, the history, the query.
    expect(page.data[0].message.map((m: Json) => `${m.role}: ${m.text}`)).toEqual([
      'system: You talk to Ada.',
      'user: one',
      `assistant: ${DEFAULT_REPLY}`,
      'user: two',
    ]);
    expect(page.data[0].message_tokens).toBeGreaterThan(0);
    const older = json(
      await h.app.inject({ method: 'GET', url: `${url}&first_id=${page.data[0].id}`, headers: h.auth }),
    );
    expect(older.data.map((m: Json) => m.query)).toEqual(['one']);
  });
});
