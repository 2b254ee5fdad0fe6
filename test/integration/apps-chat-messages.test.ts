import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REPLY, startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { json } from './apps-fixtures.js';
import { sseEvents, startHarness, type Harness } from './apps-harness.js';
import { useServers, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let redis: TestRedis;
let llm: StandIn;
useServers((servers) => ({ pg, redis } = servers));
beforeAll(async () => {
  llm = await startStandIn();
});
afterAll(async () => {
  await llm?.close();
});

describe.each([
  ['with Redis', true],
  ['without Redis (PostgreSQL fallback)', false],
])('chat and completion messages %s', (_name, withRedis) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ pg, redis: withRedis ? redis : undefined, llm });
  });
  afterAll(async () => {
    await h?.close();
  });

  const post = (url: string, key: string, payload: object) =>
    h.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload });

  it('answers a blocking chat message with the stand-in reply, Dify’s document and complete rows', async () => {
    const res = await post('/v1/chat-messages', h.chat.key, {
      inputs: { name: 'Ada' },
      query: 'Hello there',
      user: 'user-1',
      response_mode: 'blocking',
    });
    expect(res.statusCode).toBe(200);
    const doc = json(res);
    expect(Object.keys(doc)).toEqual([
      'event',
      'task_id',
      'id',
      'message_id',
      'conversation_id',
      'mode',
      'answer',
      'metadata',
      'created_at',
    ]);
    expect(doc).toMatchObject({ event: 'message', mode: 'chat', answer: DEFAULT_REPLY, id: doc.message_id });
    expect(Object.keys(doc.metadata)).toEqual(['annotation_reply', 'retriever_resources', 'usage']);
    expect(doc.metadata.usage.prompt_tokens).toBeGreaterThan(0);
    expect(doc.metadata.usage.completion_tokens).toBeGreaterThan(0);

    const [row] = await h.sql<{
      answer: string;
      status: string;
      message_tokens: number;
      answer_tokens: number;
      provider_response_latency: number;
      query: string;
      inputs: object;
      message: { role: string; text: string }[];
    }>(
      `SELECT answer, status, message_tokens, answer_tokens, provider_response_latency, query, inputs, message FROM messages WHERE id = '${doc.message_id}'`,
    );
    expect(row).toMatchObject({
      answer: DEFAULT_REPLY,
      status: 'normal',
      query: 'Hello there',
      inputs: { name: 'Ada' },
    });
    expect(row!.message_tokens).toBe(doc.metadata.usage.prompt_tokens);
    expect(row!.answer_tokens).toBe(doc.metadata.usage.completion_tokens);
    expect(row!.provider_response_latency).toBeGreaterThan(0);
    expect(row!.message).toEqual([
      { role: 'system', text: 'You talk to Ada.', files: [] },
      { role: 'user', text: 'Hello there', files: [] },
    ]);
    const [conversation] = await h.sql<{ name: string; mode: string; session_id: string }>(
      `SELECT c.name, c.mode, e.session_id FROM conversations c JOIN end_users e ON e.id = c.from_end_user_id WHERE c.id = '${doc.conversation_id}'`,
    );
    expect(conversation).toMatchObject({ mode: 'chat', session_id: 'user-1' });
    // What the model received: the pre_prompt with the input, then the query.
    expect(llm.requests().at(-1)?.body).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You talk to Ada.' },
        { role: 'user', content: 'Hello there' },
      ],
    });
  });

  it('streams Dify’s SSE byte for byte: one data frame per event, the answer in message events, then message_end', async () => {
    const res = await post('/v1/chat-messages', h.chat.key, {
      inputs: { name: 'Ada' },
      query: 'Stream it',
      user: 'user-1',
      response_mode: 'streaming',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = sseEvents(res.body);
    const end = events.at(-1)!;
    expect(end.event).toBe('message_end');
    const messages = events.filter((e) => e.event === 'message');
    expect(messages.map((e) => e.answer).join('')).toBe(DEFAULT_REPLY);
    const first = messages[0]!;
    // Dify's field order and compact JSON, exactly.
    const expected = `data: {"event":"message","conversation_id":"${first.conversation_id}","message_id":"${first.message_id}","created_at":${first.created_at},"task_id":"${first.task_id}","id":"${first.message_id}","answer":${JSON.stringify(first.answer)},"from_variable_selector":null}\n\n`;
    expect(res.body.startsWith(expected)).toBe(true);
    expect(Object.keys(end)).toEqual([
      'event',
      'conversation_id',
      'message_id',
      'created_at',
      'task_id',
      'id',
      'metadata',
      'files',
    ]);
    expect(end.metadata.usage.total_tokens).toBe(
      end.metadata.usage.prompt_tokens + end.metadata.usage.completion_tokens,
    );
    const [row] = await h.sql<{ answer: string; status: string }>(
      `SELECT answer, status FROM messages WHERE id = '${end.message_id}'`,
    );
    expect(row).toEqual({ answer: DEFAULT_REPLY, status: 'normal' });
  });

  it('passes the conversation’s history in a second turn and keeps the conversation’s inputs', async () => {
    const first = json(
      await post('/v1/chat-messages', h.chat.key, {
        inputs: { name: 'Bob' },
        query: 'My number is 7.',
        user: 'user-2',
      }),
    );
    llm.setReply('Your number is 7.');
    const second = json(
      await post('/v1/chat-messages', h.chat.key, {
        inputs: {},
        query: 'What is my number?',
        user: 'user-2',
        conversation_id: first.conversation_id,
      }),
    );
    llm.setReply(DEFAULT_REPLY);
    expect(second).toMatchObject({ conversation_id: first.conversation_id, answer: 'Your number is 7.' });
    const secondPrompt = [
      { role: 'system', content: 'You talk to Bob.' },
      { role: 'user', content: 'My number is 7.' },
      { role: 'assistant', content: DEFAULT_REPLY },
      { role: 'user', content: 'What is my number?' },
    ];
    expect(llm.requests().at(-1)?.body).toMatchObject({ messages: secondPrompt });
    // A third turn sees both earlier exchanges, oldest first.
    await post('/v1/chat-messages', h.chat.key, {
      inputs: {},
      query: 'And doubled?',
      user: 'user-2',
      conversation_id: first.conversation_id,
    });
    expect(llm.requests().at(-1)?.body).toMatchObject({
      messages: [
        ...secondPrompt,
        { role: 'assistant', content: 'Your number is 7.' },
        { role: 'user', content: 'And doubled?' },
      ],
    });
    // Another user cannot continue it.
    const other = await post('/v1/chat-messages', h.chat.key, {
      inputs: {},
      query: 'x',
      user: 'user-3',
      conversation_id: first.conversation_id,
    });
    expect(other.statusCode).toBe(404);
    expect(json(other)).toMatchObject({ code: 'not_found', message: 'Conversation Not Exists.' });
  });

  it('answers a completion app, blocking and streaming, without conversation_id', async () => {
    const blocking = await post('/v1/completion-messages', h.completion.key, {
      inputs: { topic: 'tea' },
      user: 'user-1',
      response_mode: 'blocking',
    });
    expect(blocking.statusCode).toBe(200);
    const doc = json(blocking);
    expect(Object.keys(doc)).toEqual([
      'event',
      'task_id',
      'id',
      'message_id',
      'mode',
      'answer',
      'metadata',
      'created_at',
    ]);
    expect(doc).toMatchObject({ mode: 'completion', answer: DEFAULT_REPLY });
    expect(llm.requests().at(-1)?.body).toMatchObject({ messages: [{ role: 'user', content: 'Write about tea.' }] });

    const streamed = await post('/v1/completion-messages', h.completion.key, {
      inputs: { topic: 'tea' },
      user: 'user-1',
      response_mode: 'streaming',
    });
    const events = sseEvents(streamed.body);
    expect(Object.keys(events[0]!)).toEqual([
      'event',
      'message_id',
      'created_at',
      'task_id',
      'id',
      'answer',
      'from_variable_selector',
    ]);
    expect(
      events
        .filter((e) => e.event === 'message')
        .map((e) => e.answer)
        .join(''),
    ).toBe(DEFAULT_REPLY);
    expect(events.at(-1)?.event).toBe('message_end');
    const [row] = await h.sql<{ answer: string; mode: string }>(
      `SELECT m.answer, c.mode FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = '${events[0]!.message_id}'`,
    );
    expect(row).toEqual({ answer: DEFAULT_REPLY, mode: 'completion' });
  });
});
