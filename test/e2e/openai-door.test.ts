/**
 * Acceptance of the OpenAI-compatible door: the official `openai` npm SDK (6.x, the major that runs
 * on Node 20), unmodified, against `difyctl up -d` (embedded default, redis-server from PATH) with
 * the stand-in as the workspace's model. Models list, blocking and streaming chat, completions,
 * embeddings, a conversation continued through the door and read back through `/v1/messages`,
 * errors in OpenAI's shape, the per-key rate limit, and a dropped client aborting upstream.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import { configureProvider, createApp, upStack, waitFor, type Json, type Stack } from './service-api-stack.js';

const REPLY = 'Oolong is a partly oxidised tea.';
const SLOW = 'abcd'.repeat(300);
const USER = 'door-user-1';
const EMBEDDING = 'stand-in-embedding';

let llm: StandIn;
let stack: Stack;
let chatApp: { appId: string; key: string };
let completionApp: { appId: string; key: string };
let client: OpenAI;

/** The last chat request to the stand-in that carried `text` (not the worker's title requests). */
const requestWith = (text: string): Json | undefined =>
  llm
    .requests()
    .findLast(
      (r) => JSON.stringify(r.body).includes(text) && !JSON.stringify(r.body).includes('Write a very short title'),
    )?.body as Json | undefined;

const sdk = (key: string): OpenAI => new OpenAI({ apiKey: key, baseURL: `${stack.base}/v1`, maxRetries: 0 });

/** What an SDK call the server refuses raises. */
async function refusal(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('the call was not refused');
}

beforeAll(async () => {
  llm = await startStandIn({ reply: REPLY });
  llm.mock.prependFixture({
    match: { userMessage: 'Tell me a slow story' },
    response: { content: SLOW },
    chunkSize: 4,
    latency: 20,
  });
  // A provider failure for these questions only (failNext could be taken by the worker's title requests).
  llm.mock.prependFixture({
    match: { userMessage: /^Provider down/ },
    response: { error: { message: 'upstream exploded', type: 'server_error' }, status: 500 },
  });
  stack = await upStack({ redis: true });
  await configureProvider(stack, llm);
  await stack.console('POST', '/workspaces/current/model-providers/openai_api_compatible/models', {
    model: EMBEDDING,
    model_type: 'text-embedding',
    credentials: { endpoint_url: llm.openaiBaseUrl, api_key: 'sk-stand-in-key-0001', context_size: '8000' },
  });
  chatApp = await createApp(stack, 'chat', { pre_prompt: 'You are a tea expert.' });
  completionApp = await createApp(stack, 'completion', {
    pre_prompt: 'Write about {{topic}}.',
    user_input_form: [{ 'text-input': { label: 'Topic', variable: 'topic', required: true } }],
  });
  client = sdk(chatApp.key);
}, 300_000);

afterAll(async () => {
  await stack?.down();
  await llm?.close();
}, 120_000);

describe('the openai SDK (6.x, unmodified) against `difyctl up -d`', () => {
  it('models.list(): the key’s app and the workspace’s embedding model; models.retrieve() one of them', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models).toEqual([
      { id: chatApp.appId, object: 'model', created: expect.any(Number), owned_by: 'dify' },
      { id: EMBEDDING, object: 'model', created: 0, owned_by: 'openai_api_compatible' },
    ]);
    expect(await client.models.retrieve(chatApp.appId)).toMatchObject({ id: chatApp.appId, object: 'model' });
  });

  it('blocking chat: the stand-in’s reply with usage; the system message follows the app’s pre_prompt; the rows are Dify’s', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: chatApp.appId,
        user: USER,
        messages: [
          { role: 'system', content: 'Answer in one line.' },
          { role: 'user', content: 'What is oolong?' },
        ],
      })
      .withResponse();
    expect(data).toMatchObject({
      object: 'chat.completion',
      model: chatApp.appId,
      choices: [{ index: 0, message: { role: 'assistant', content: REPLY }, finish_reason: 'stop' }],
    });
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    expect(data.usage!.completion_tokens).toBeGreaterThan(0);
    expect(requestWith('What is oolong?')).toMatchObject({
      messages: [
        { role: 'system', content: 'You are a tea expert.\n\nAnswer in one line.' },
        { role: 'user', content: 'What is oolong?' },
      ],
    });
    const conversationId = response.headers.get('x-dify-conversation-id');
    const messageId = response.headers.get('x-dify-message-id');
    expect(data.id).toBe(`chatcmpl-${messageId}`);
    const rows = await stack.sql(
      'SELECT m.query, m.answer, m.status, e.session_id FROM messages m JOIN end_users e ON e.id = m.from_end_user_id WHERE m.id = $1 AND m.conversation_id = $2',
      [messageId, conversationId],
    );
    expect(rows).toEqual([{ query: 'What is oolong?', answer: REPLY, status: 'normal', session_id: USER }]);
  });

  it('streaming chat continues the conversation of its transcript: chunks, finish_reason, usage, and both turns in /v1/messages', async () => {
    const first = await client.chat.completions
      .create({ model: chatApp.appId, user: USER, messages: [{ role: 'user', content: 'Is green tea oxidised?' }] })
      .withResponse();
    const conversationId = first.response.headers.get('x-dify-conversation-id');
    const stream = await client.chat.completions.create({
      model: chatApp.appId,
      user: USER,
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'user', content: 'Is green tea oxidised?' },
        { role: 'assistant', content: first.data.choices[0]!.message.content },
        { role: 'user', content: 'And black tea?' },
      ],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(REPLY);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
    // The model saw the first turn as history.
    expect(requestWith('And black tea?')).toMatchObject({
      messages: [
        { role: 'system' },
        { role: 'user', content: 'Is green tea oxidised?' },
        { role: 'assistant', content: REPLY },
        { role: 'user', content: 'And black tea?' },
      ],
    });
    // Dify's own route shows the conversation with both turns.
    const res = await fetch(`${stack.base}/v1/messages?user=${USER}&conversation_id=${conversationId}`, {
      headers: { authorization: `Bearer ${chatApp.key}` },
    });
    const messages = (await res.json()) as Json;
    expect(messages.data.map((m: Json) => [m.query, m.answer])).toEqual([
      ['Is green tea oxidised?', REPLY],
      ['And black tea?', REPLY],
    ]);
  });

  it('a transcript the server never stored starts a conversation with those turns in the prompt', async () => {
    const data = await client.chat.completions.create({
      model: chatApp.appId,
      user: 'door-user-2',
      messages: [
        { role: 'user', content: 'Earlier question' },
        { role: 'assistant', content: 'Earlier answer' },
        { role: 'user', content: 'Fresh question' },
      ],
    });
    expect(data.choices[0]!.message.content).toBe(REPLY);
    expect(requestWith('Fresh question')).toMatchObject({
      messages: [
        { role: 'system' },
        { role: 'user', content: 'Earlier question' },
        { role: 'assistant', content: 'Earlier answer' },
        { role: 'user', content: 'Fresh question' },
      ],
    });
    expect(
      await stack.sql(
        "SELECT m.query FROM messages m JOIN end_users e ON e.id = m.from_end_user_id WHERE e.session_id = 'door-user-2'",
      ),
    ).toEqual([{ query: 'Fresh question' }]);
  });

  it('X-Dify-Conversation-Id continues a conversation by id (the model named by the app’s name); data: and http images become Dify files', async () => {
    const started = await client.chat.completions
      .create({ model: chatApp.appId, user: USER, messages: [{ role: 'user', content: 'Where does rooibos grow?' }] })
      .withResponse();
    const conversationId = started.response.headers.get('x-dify-conversation-id')!;
    const [app] = await stack.sql('SELECT name FROM apps WHERE id = $1', [chatApp.appId]);
    const next = await client.chat.completions
      .create(
        { model: app!.name as string, user: USER, messages: [{ role: 'user', content: 'Is it caffeinated?' }] },
        { headers: { 'X-Dify-Conversation-Id': conversationId } },
      )
      .withResponse();
    expect(next.response.headers.get('x-dify-conversation-id')).toBe(conversationId);
    expect(requestWith('Is it caffeinated?')).toMatchObject({
      messages: [
        { role: 'system' },
        { role: 'user', content: 'Where does rooibos grow?' },
        { role: 'assistant', content: REPLY },
        { role: 'user', content: 'Is it caffeinated?' },
      ],
    });

    const vision = await createApp(stack, 'chat', {
      pre_prompt: '',
      file_upload: {
        image: { enabled: true, number_limits: 3, detail: 'high', transfer_methods: ['remote_url', 'local_file'] },
      },
    });
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
    const seen = await sdk(vision.key)
      .chat.completions.create({
        model: vision.appId,
        user: USER,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these pictures?' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
              { type: 'image_url', image_url: { url: 'https://example.com/tea.jpg' } },
            ],
          },
        ],
      })
      .withResponse();
    expect(seen.data.choices[0]!.message.content).toBe(REPLY);
    const sent = JSON.stringify(requestWith('What is in these pictures?'));
    expect(sent).toContain(png);
    expect(sent).toContain('https://example.com/tea.jpg');
    const files = await stack.sql(
      'SELECT f.type, f.transfer_method, f.url, u.mime_type FROM message_files f LEFT JOIN upload_files u ON u.id = f.upload_file_id WHERE f.message_id = $1 ORDER BY f.transfer_method',
      [seen.response.headers.get('x-dify-message-id')],
    );
    expect(files).toEqual([
      { type: 'image', transfer_method: 'local_file', url: null, mime_type: 'image/png' },
      { type: 'image', transfer_method: 'remote_url', url: 'https://example.com/tea.jpg', mime_type: null },
    ]);
  });

  it('completions on a completion app, blocking and streaming, with the app’s inputs', async () => {
    const completion = sdk(completionApp.key);
    const body = {
      model: completionApp.appId,
      prompt: 'Keep it short.',
      user: USER,
      inputs: { topic: 'pu-erh' },
    } as OpenAI.CompletionCreateParamsNonStreaming;
    const blocking = await completion.completions.create(body);
    expect(blocking).toMatchObject({
      object: 'text_completion',
      choices: [{ text: REPLY, index: 0, finish_reason: 'stop' }],
    });
    expect(requestWith('pu-erh')).toMatchObject({
      messages: [
        { role: 'system', content: 'Write about pu-erh.' },
        { role: 'user', content: 'Keep it short.' },
      ],
    });
    const stream = await completion.completions.create({ ...body, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(REPLY);
  });

  it('embeddings: the stand-in’s vectors, base64 (the SDK’s default) and float alike', async () => {
    const direct = await new OpenAI({
      apiKey: 'sk-stand-in-key-0001',
      baseURL: llm.openaiBaseUrl,
      maxRetries: 0,
    }).embeddings.create({ model: EMBEDDING, input: ['green', 'black'], encoding_format: 'float' });
    const viaDoor = await client.embeddings.create({ model: EMBEDDING, input: ['green', 'black'] });
    expect(viaDoor.data.map((d) => d.index)).toEqual([0, 1]);
    for (const [i, d] of viaDoor.data.entries()) {
      expect(d.embedding.length).toBe(direct.data[i]!.embedding.length);
      // base64 carries float32: equal to float32 precision.
      for (const [j, v] of d.embedding.entries()) expect(v).toBeCloseTo(direct.data[i]!.embedding[j]!, 5);
    }
    const float = await client.embeddings.create({ model: EMBEDDING, input: 'green', encoding_format: 'float' });
    expect(float.data[0]!.embedding).toEqual(viaDoor.data[0]!.embedding.map((v) => expect.closeTo(v, 5)));
    expect(float.usage.total_tokens).toBeGreaterThan(0);
  });

  it('errors in OpenAI’s shape with the SDK’s classes: bad key 401, unknown model 404, bad request 400, provider down 502; Dify’s routes keep Dify’s shape', async () => {
    const badKey = await refusal(
      sdk('app-not-a-real-key-000000').chat.completions.create({
        model: chatApp.appId,
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect(badKey).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(badKey.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    const unknown = await refusal(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknown.error).toMatchObject({
      code: 'model_not_found',
      message: 'The model `gpt-4o` does not exist or you do not have access to it.',
    });
    const invalid = await refusal(
      client.chat.completions.create({ model: chatApp.appId, messages: [{ role: 'assistant', content: 'x' }] }),
    );
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
    expect(invalid.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_param',
      message: "messages.0.role: the last message must be the user's (got assistant)",
    });
    const down = await refusal(
      client.chat.completions.create({
        model: chatApp.appId,
        user: USER,
        messages: [{ role: 'user', content: 'Provider down?' }],
      }),
    );
    expect(down).toBeInstanceOf(OpenAI.InternalServerError);
    expect(down.status).toBe(502);
    expect(down.error).toMatchObject({ type: 'server_error', code: 'completion_request_error' });
    expect(await stack.sql("SELECT status FROM messages WHERE query = 'Provider down?'")).toEqual([
      { status: 'error' },
    ]);
    // Streaming too: a failure before the first token answers with its status, not inside a 200 stream.
    const downStream = await refusal(
      client.chat.completions.create({
        model: chatApp.appId,
        user: USER,
        stream: true,
        messages: [{ role: 'user', content: 'Provider down for a stream?' }],
      }),
    );
    expect(downStream).toBeInstanceOf(OpenAI.InternalServerError);
    expect(downStream.error).toMatchObject({ type: 'server_error', code: 'completion_request_error' });
    const badJson = await fetch(`${stack.base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${chatApp.key}`, 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toEqual({
      error: {
        message: 'The request body is not valid JSON.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_json',
      },
    });
    const dify = await fetch(`${stack.base}/v1/chat-messages`, {
      method: 'POST',
      headers: { authorization: 'Bearer app-not-a-real-key-000000' },
    });
    expect(await dify.json()).toMatchObject({ code: 'unauthorized', status: 401 });
  });

  it('the app’s api_rpm limits the door too: 429 with Retry-After, as a RateLimitError', async () => {
    const limited = await createApp(stack, 'chat', { pre_prompt: '' });
    await stack.console('PUT', `/apps/${limited.appId}`, { api_rpm: 1 });
    const door = sdk(limited.key);
    await door.models.list();
    const refused = await refusal(door.models.list());
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
    expect(Number(refused.headers?.get('retry-after'))).toBeGreaterThan(0);
  });

  it('a client that drops a stream aborts the upstream call; the message row keeps the partial answer as stopped', async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: chatApp.appId, user: USER, stream: true, messages: [{ role: 'user', content: 'Tell me a slow story' }] },
      { signal: controller.signal },
    );
    let received = '';
    // The SDK's stream ends (or raises an abort error) once its signal fires: either way the client is gone.
    await (async () => {
      for await (const chunk of stream) {
        received += chunk.choices[0]?.delta.content ?? '';
        if (received.length >= 8) {
          controller.abort();
          break;
        }
      }
    })().catch((error: unknown) => {
      if (!(error instanceof OpenAI.APIUserAbortError)) throw error;
    });
    expect(received.length).toBeLessThan(SLOW.length);
    const row = await waitFor(async () => {
      const [found] = await stack.sql(
        "SELECT status, answer, message_metadata FROM messages WHERE query = 'Tell me a slow story'",
      );
      return found?.status === 'stopped' && found;
    }, 'the stopped row');
    expect(row.answer.length).toBeGreaterThanOrEqual(8);
    expect(row.answer.length).toBeLessThan(SLOW.length);
    expect(row.message_metadata.stopped_by).toBe('client_disconnect');
  });

  it('Dify’s stop route stops a door stream by its X-Dify-Task-Id: the stream ends with finish_reason stop, the row is stopped', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({
        model: chatApp.appId,
        user: USER,
        stream: true,
        messages: [{ role: 'user', content: 'Tell me a slow story' }],
      })
      .withResponse();
    const taskId = response.headers.get('x-dify-task-id');
    let received = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      received += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      if (received.length >= 8 && received.length < 12) {
        const stop = await fetch(`${stack.base}/v1/chat-messages/${taskId}/stop`, {
          method: 'POST',
          headers: { authorization: `Bearer ${chatApp.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ user: USER }),
        });
        expect(await stop.json()).toEqual({ result: 'success' });
      }
    }
    expect(finish).toBe('stop');
    expect(received.length).toBeLessThan(SLOW.length);
    const [row] = await stack.sql('SELECT status, answer, message_metadata FROM messages WHERE id = $1', [
      response.headers.get('x-dify-message-id'),
    ]);
    expect(row).toMatchObject({ status: 'stopped', answer: received, message_metadata: { stopped_by: 'user_manual' } });
  });
});
