/**
 * Acceptance: Dify's official SDK (`dify-client` 2.3.2, unmodified) against a stack brought up with
 * `difyctl up -d` on the embedded default, the model a real OpenAI-compatible server on loopback
 * (the stand-in). Every SDK method runs; each answer is checked against what the stand-in replied and
 * against the database rows. Twice: with redis-server, and with PostgreSQL carrying Redis' duties;
 * both with 2 api processes, where a stop request must reach a stream running in the other one.
 */
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ChatClient, CompletionClient, DifyClient } from 'dify-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import { configureProvider, createApp, upStack, waitFor, type Json, type Stack } from './service-api-stack.js';

const REPLY = 'Tea is brewed from the leaves of Camellia sinensis.';
const TITLE = 'Tea questions';
const SUGGESTIONS = ['Which tea is mildest?', 'How hot the water?', 'Green or black?'];
/** 300 chunks of 4 characters, 20 ms apart: a 6 s stream, long enough to stop half-way. */
const SLOW = 'abcd'.repeat(300);
const USER = 'sdk-user-1';

let llm: StandIn;
beforeAll(async () => {
  llm = await startStandIn({ reply: REPLY });
  llm.mock.prependFixture({
    match: { userMessage: /Your Output/ },
    response: {
      content: JSON.stringify({ 'Language Type': 'English', 'Your Reasoning': 'tea', 'Your Output': TITLE }),
    },
  });
  llm.mock.prependFixture({
    match: { userMessage: /questions:\s*$/ },
    response: { content: JSON.stringify(SUGGESTIONS) },
  });
  llm.mock.prependFixture({
    match: { userMessage: 'Tell me a slow story' },
    response: { content: SLOW },
    chunkSize: 4,
    latency: 20,
  });
});
afterAll(async () => {
  await llm?.close();
});

/**
 * The last request the stand-in received that mentions `text`. Not simply the last one: the worker
 * asks the model for conversation names at its own pace, in between.
 */
/** The last chat request that carried `text`; the worker's conversation-title requests (which quote
 * the first query and may arrive after the answer) are not the chat itself. */
const requestWith = (text: string) =>
  llm.requests().findLast((r) => JSON.stringify(r.body).includes(text) && !isTitleRequest(r.body))?.body;
const isTitleRequest = (body: unknown) => JSON.stringify(body).includes('Write a very short title');
const titleRequest = () => llm.requests().findLast((r) => isTitleRequest(r.body))?.body;

/** The `data:` events of a streamed SDK answer (an axios stream), in order. */
async function sseEvents(stream: AsyncIterable<Buffer>): Promise<Json[]> {
  let body = '';
  for await (const chunk of stream) body += chunk.toString('utf8');
  return body
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => JSON.parse(frame.slice(6)) as Json);
}

/** What an SDK call that the server refuses carries: axios' error with the server's JSON. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; body: Json }> {
  try {
    await call;
  } catch (error) {
    const response = (error as { response?: { status: number; data: Json } }).response;
    if (response) return { status: response.status, body: response.data };
    throw error;
  }
  throw new Error('the call was not refused');
}

/** One HTTP request on a given agent (a pinned keep-alive connection), answering the raw response. */
function send(
  agent: http.Agent,
  base: string,
  input: { method: string; path: string; body?: unknown; key?: string },
): Promise<{ res: http.IncomingMessage; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const payload = input.body === undefined ? undefined : JSON.stringify(input.body);
    const req = http.request(`${base}${input.path}`, {
      method: input.method,
      agent,
      headers: {
        ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        ...(input.key ? { authorization: `Bearer ${input.key}` } : {}),
      },
    });
    req.on('response', (res) => resolve({ res, reused: req.reusedSocket }));
    req.on('error', reject);
    req.end(payload);
  });
}

async function readJson(res: http.IncomingMessage): Promise<Json> {
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return JSON.parse(text) as Json;
}

describe.each([
  ['with redis-server', true],
  ['without Redis (PostgreSQL fallback)', false],
])('dify-client 2.3.2 against `difyctl up -d` %s, 2 api processes', (_name, redis) => {
  let stack: Stack;
  let chatApp: { appId: string; key: string };
  let completionApp: { appId: string; key: string };
  let chat: ChatClient;
  let completion: CompletionClient;
  let conversationId: string;
  let messageIds: string[];

  beforeAll(async () => {
    stack = await upStack({ redis, env: { SERVER_WORKER_AMOUNT: '2' } });
    await configureProvider(stack, llm);
    chatApp = await createApp(stack, 'chat', {
      pre_prompt: 'You talk to {{name}}.',
      user_input_form: [{ 'text-input': { label: 'Name', variable: 'name', required: true, max_length: 30 } }],
      opening_statement: 'Ask me about tea.',
      suggested_questions: ['What is tea?'],
      suggested_questions_after_answer: { enabled: true },
      file_upload: {
        image: { enabled: true, number_limits: 3, detail: 'high', transfer_methods: ['remote_url', 'local_file'] },
      },
    });
    completionApp = await createApp(stack, 'completion', {
      pre_prompt: 'Write about {{topic}}.',
      user_input_form: [{ 'text-input': { label: 'Topic', variable: 'topic', required: true } }],
    });
    chat = new ChatClient(chatApp.key, `${stack.base}/v1`);
    completion = new CompletionClient(completionApp.key, `${stack.base}/v1`);
  }, 300_000);
  afterAll(async () => {
    await stack?.down();
  }, 120_000);

  it('runs the stack as asked: embedded PostgreSQL, Redis or its fallback, api and worker', () => {
    expect(stack.ps.db).toMatchObject({ provider: 'embedded', state: 'running' });
    if (redis) expect(stack.ps.redis?.provider).not.toBe('none');
    else expect(stack.ps.redis).toMatchObject({ provider: 'none' });
    expect(stack.ps.api).toMatchObject({ state: 'running', health: 'healthy' });
    expect(stack.ps.worker).toMatchObject({ state: 'running' });
  });

  it('getApplicationParameters: the app’s model config in Dify’s shape; a wrong key is 401', async () => {
    const { data } = await new DifyClient(chatApp.key, `${stack.base}/v1`).getApplicationParameters(USER);
    expect(data).toMatchObject({
      opening_statement: 'Ask me about tea.',
      suggested_questions: ['What is tea?'],
      suggested_questions_after_answer: { enabled: true },
      user_input_form: [{ 'text-input': { label: 'Name', variable: 'name', required: true, max_length: 30 } }],
      system_parameters: { file_size_limit: 15, image_file_size_limit: 10 },
    });
    const wrong = await refusal(new ChatClient('app-not-a-real-key-000000', `${stack.base}/v1`).getConversations(USER));
    expect(wrong).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
  });

  it('createChatMessage, blocking then streaming in the same conversation: the stand-in’s reply and the rows', async () => {
    const blocking = (await chat.createChatMessage({ name: 'Ada' }, 'What is tea?', USER)).data as Json;
    expect(blocking).toMatchObject({ event: 'message', mode: 'chat', answer: REPLY });
    expect(blocking.metadata.usage.total_tokens).toBeGreaterThan(0);
    expect(requestWith('What is tea?')).toMatchObject({
      model: 'stand-in-model',
      messages: [
        { role: 'system', content: 'You talk to Ada.' },
        { role: 'user', content: 'What is tea?' },
      ],
    });
    conversationId = blocking.conversation_id as string;

    const streamed = await chat.createChatMessage({ name: 'Ada' }, 'Tell me more.', USER, true, conversationId);
    expect(streamed.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = await sseEvents(streamed.data as AsyncIterable<Buffer>);
    expect(
      events
        .filter((e) => e.event === 'message')
        .map((e) => e.answer)
        .join(''),
    ).toBe(REPLY);
    const end = events.at(-1)!;
    expect(end).toMatchObject({ event: 'message_end', conversation_id: conversationId });
    // The second turn carried the first as history.
    expect(requestWith('Tell me more.')).toMatchObject({
      messages: [
        { role: 'system' },
        { role: 'user', content: 'What is tea?' },
        { role: 'assistant', content: REPLY },
        { role: 'user', content: 'Tell me more.' },
      ],
    });

    messageIds = [blocking.message_id as string, end.message_id as string];
    const rows = await stack.sql(
      `SELECT m.id, m.query, m.answer, m.status, m.message_tokens, m.answer_tokens, e.session_id FROM messages m JOIN end_users e ON e.id = m.from_end_user_id WHERE m.conversation_id = $1 ORDER BY m.created_at`,
      [conversationId],
    );
    expect(rows.map((r) => [r.id, r.query, r.answer, r.status, r.session_id])).toEqual([
      [messageIds[0], 'What is tea?', REPLY, 'normal', USER],
      [messageIds[1], 'Tell me more.', REPLY, 'normal', USER],
    ]);
    expect(rows[0]!.message_tokens).toBe(blocking.metadata.usage.prompt_tokens);
    expect(rows[1]!.answer_tokens).toBe(end.metadata.usage.completion_tokens);
  });

  it('getConversations: the worker names the new conversation through the model', async () => {
    const named = await waitFor(async () => {
      const { data } = await chat.getConversations(USER);
      const found = (data.data as Json[]).find((c) => c.id === conversationId);
      return found?.name === TITLE && found;
    }, 'the generated conversation name');
    expect(named).toMatchObject({ id: conversationId, inputs: { name: 'Ada' }, status: 'normal' });
    expect(JSON.stringify(titleRequest())).toContain('What is tea?');
    expect(await stack.sql('SELECT name FROM conversations WHERE id = $1', [conversationId])).toEqual([
      { name: TITLE },
    ]);
    expect((await chat.getConversations('someone-else')).data).toEqual({ limit: 20, has_more: false, data: [] });
  });

  it('getConversationMessages with first_id paging, messageFeedback, and the suggested questions', async () => {
    const latest = (await chat.getConversationMessages(USER, conversationId, null, 1)).data as Json;
    expect(latest).toMatchObject({ limit: 1, has_more: true });
    expect(latest.data.map((m: Json) => [m.id, m.answer])).toEqual([[messageIds[1], REPLY]]);
    const older = (await chat.getConversationMessages(USER, conversationId, messageIds[1], 1)).data as Json;
    expect(older).toMatchObject({ has_more: false });
    expect(older.data.map((m: Json) => [m.id, m.query])).toEqual([[messageIds[0], 'What is tea?']]);

    expect((await chat.messageFeedback(messageIds[0]!, 'like' as unknown as number, USER)).data).toEqual({
      result: 'success',
    });
    expect(
      await stack.sql('SELECT rating, from_source FROM message_feedbacks WHERE message_id = $1', [messageIds[0]]),
    ).toEqual([{ rating: 'like', from_source: 'user' }]);
    const both = (await chat.getConversationMessages(USER, conversationId)).data as Json;
    expect(both.data.map((m: Json) => m.feedback)).toEqual([{ rating: 'like' }, null]);

    // dify-client 2.3.2 has no method for suggestions: the route, as its REST docs show it.
    const suggested = await fetch(`${stack.base}/v1/messages/${messageIds[1]}/suggested?user=${USER}`, {
      headers: { authorization: `Bearer ${chatApp.key}` },
    });
    expect(await suggested.json()).toEqual({ result: 'success', data: SUGGESTIONS });
  });

  it('renameConversation by name and by the model, then deleteConversation', async () => {
    // The d.ts of 2.3.2 omits `auto_generate`; its JavaScript sends it.
    const rename = chat.renameConversation.bind(chat) as unknown as (
      id: string,
      name: string,
      user: string,
      autoGenerate?: boolean,
    ) => Promise<{ data: Json }>;
    expect((await rename(conversationId, 'Tea notes', USER)).data).toMatchObject({
      id: conversationId,
      name: 'Tea notes',
    });
    expect((await rename(conversationId, '', USER, true)).data).toMatchObject({ id: conversationId, name: TITLE });
    expect(await refusal(rename(conversationId, 'x', 'someone-else'))).toMatchObject({
      status: 404,
      body: { code: 'not_found' },
    });

    const deleted = await chat.deleteConversation(conversationId, USER);
    expect(deleted.status).toBe(204);
    expect((await chat.getConversations(USER)).data.data.map((c: Json) => c.id)).not.toContain(conversationId);
    expect(await stack.sql('SELECT is_deleted FROM conversations WHERE id = $1', [conversationId])).toEqual([
      { is_deleted: true },
    ]);
  });

  it('createCompletionMessage, blocking and streaming; runWorkflow is refused as Dify does for a completion app', async () => {
    const blocking = (await completion.createCompletionMessage({ topic: 'tea' }, USER)).data as Json;
    expect(blocking).toMatchObject({ event: 'message', mode: 'completion', answer: REPLY });
    expect(requestWith('Write about tea.')).toMatchObject({
      messages: [{ role: 'user', content: 'Write about tea.' }],
    });
    const events = await sseEvents(
      (await completion.createCompletionMessage({ topic: 'green tea' }, USER, true)).data as AsyncIterable<Buffer>,
    );
    expect(
      events
        .filter((e) => e.event === 'message')
        .map((e) => e.answer)
        .join(''),
    ).toBe(REPLY);
    const ids = [blocking.message_id, events.at(-1)!.message_id];
    const rows = await stack.sql(
      `SELECT m.answer, m.inputs, c.mode FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ANY($1::uuid[]) ORDER BY m.created_at`,
      [ids],
    );
    expect(rows).toEqual([
      { answer: REPLY, inputs: { topic: 'tea' }, mode: 'completion' },
      { answer: REPLY, inputs: { topic: 'green tea' }, mode: 'completion' },
    ]);
    expect(await refusal(completion.runWorkflow({}, USER))).toMatchObject({
      status: 400,
      body: { code: 'not_workflow_app' },
    });
  });

  it('fileUpload stores the file under volumes/app/storage; a chat message then shows it to the model', async () => {
    const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(512, 1)]);
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'image/png' }), 'leaf.png');
    form.append('user', USER);
    const res = await chat.fileUpload(form);
    expect(res.status).toBe(201);
    expect(res.data).toMatchObject({ name: 'leaf.png', size: bytes.length, extension: 'png', mime_type: 'image/png' });
    const [row] = await stack.sql('SELECT key, storage_type, created_by_role FROM upload_files WHERE id = $1', [
      res.data.id,
    ]);
    expect(row).toMatchObject({ storage_type: 'opendal', created_by_role: 'end_user' });
    expect(await readFile(path.join(stack.dir, 'volumes/app/storage', row!.key as string))).toEqual(bytes);

    // createChatMessage's `files`: the upload, read back from storage, reaches the model as an image.
    const files = [{ type: 'image', transfer_method: 'local_file', upload_file_id: res.data.id }] as unknown as File[];
    const answer = (await chat.createChatMessage({ name: 'Ada' }, 'What is on this leaf?', USER, false, null, files))
      .data as Json;
    expect(answer.answer).toBe(REPLY);
    expect(JSON.stringify(requestWith('What is on this leaf?'))).toContain(
      `data:image/png;base64,${bytes.toString('base64')}`,
    );
    const shown = (await chat.getConversationMessages(USER, answer.conversation_id)).data.data[0] as Json;
    expect(shown.message_files).toEqual([
      expect.objectContaining({
        type: 'image',
        transfer_method: 'local_file',
        upload_file_id: res.data.id,
        filename: 'leaf.png',
        mime_type: 'image/png',
        size: bytes.length,
        belongs_to: 'user',
      }),
    ]);
    expect(
      await stack.sql(
        'SELECT type, transfer_method, belongs_to, created_by_role FROM message_files WHERE message_id = $1',
        [answer.message_id],
      ),
    ).toEqual([{ type: 'image', transfer_method: 'local_file', belongs_to: 'user', created_by_role: 'end_user' }]);
    // Its url is Dify's signed preview link: a client shows the image with it, no key needed.
    expect(shown.message_files[0].url).toMatch(
      new RegExp(`^/files/${res.data.id}/file-preview\\?timestamp=\\d+&nonce=[0-9a-f]+&sign=`),
    );
    const image = await fetch(`${stack.base}${shown.message_files[0].url}`);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await image.arrayBuffer())).toEqual(bytes);
    const empty = new FormData();
    empty.append('user', USER);
    expect(await refusal(chat.fileUpload(empty))).toMatchObject({ status: 400, body: { code: 'no_file_uploaded' } });
  });

  it('a stop sent to the other api process stops a slow stream: partial answer kept, status stopped', async () => {
    // One pinned connection per process: /health tells which process answers on it.
    const pidOf = async (agent: http.Agent) =>
      (await readJson((await send(agent, stack.base, { method: 'GET', path: '/health' })).res)).pid as number;
    const streamAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const streamPid = await pidOf(streamAgent);
    let stopAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let tries = 0; (await pidOf(stopAgent)) === streamPid; tries++) {
      stopAgent.destroy();
      if (tries > 50) throw new Error('every connection landed on one api process');
      stopAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    }
    try {
      const stream = await send(streamAgent, stack.base, {
        method: 'POST',
        path: '/v1/chat-messages',
        key: chatApp.key,
        body: { inputs: { name: 'Ada' }, query: 'Tell me a slow story', user: USER, response_mode: 'streaming' },
      });
      expect(stream.reused).toBe(true);
      expect(stream.res.statusCode).toBe(200);
      let body = '';
      const frames = (async () => {
        for await (const chunk of stream.res) body += String(chunk);
      })();
      const first = await waitFor(
        async () =>
          /data: (\{.*?\})\n\n/.exec(body)?.[1]
            ? (JSON.parse(/data: (\{.*?\})\n\n/.exec(body)![1]!) as Json)
            : undefined,
        'the first event',
        10_000,
      );
      const stop = await send(stopAgent, stack.base, {
        method: 'POST',
        path: `/v1/chat-messages/${first.task_id}/stop`,
        key: chatApp.key,
        body: { user: USER },
      });
      expect(stop.reused).toBe(true);
      expect(await readJson(stop.res)).toEqual({ result: 'success' });
      await frames;
      const answer = body
        .split('\n\n')
        .filter((f) => f.startsWith('data: '))
        .map((f) => JSON.parse(f.slice(6)) as Json)
        .filter((e) => e.event === 'message')
        .map((e) => e.answer as string)
        .join('');
      expect(answer.length).toBeGreaterThan(0);
      expect(answer.length).toBeLessThan(SLOW.length);
      const [row] = await waitFor(async () => {
        const rows = await stack.sql('SELECT answer, status FROM messages WHERE id = $1', [first.message_id]);
        return rows[0]?.status === 'stopped' ? rows : undefined;
      }, 'the stopped message row');
      expect(row).toMatchObject({ status: 'stopped' });
      expect(SLOW.startsWith(row!.answer as string)).toBe(true);
      expect((row!.answer as string).length).toBeLessThan(SLOW.length);
    } finally {
      streamAgent.destroy();
      stopAgent.destroy();
    }
  });

  it('the console’s app logs show the conversations and their messages', async () => {
    const logs = await stack.console('GET', `/apps/${chatApp.appId}/chat-conversations?limit=10`);
    const slow = (logs.data as Json[]).find((c) => c.summary === 'Tell me a slow story');
    expect(slow).toMatchObject({ from_end_user_session_id: USER, message_count: 1 });
    const messages = await stack.console('GET', `/apps/${chatApp.appId}/chat-messages?conversation_id=${slow!.id}`);
    expect(messages.data).toHaveLength(1);
    expect(messages.data[0]).toMatchObject({ query: 'Tell me a slow story', status: 'stopped' });
    const completions = await stack.console('GET', `/apps/${completionApp.appId}/completion-conversations`);
    expect(completions.total).toBe(2);
  });
});
