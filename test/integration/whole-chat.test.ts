/**
 * The blocking answer of an OpenAI-compatible chat model, asked without the AI SDK
 * (src/model-runtime/providers/whole-chat.ts), judged by the SDK itself: against the same model
 * server on loopback, the model the provider builds and the SDK's own chat model must send the same
 * request body, read the same answer, and fail the same way (as Dify reports it).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toModelError } from '../../src/model-runtime/errors.js';
import { modelFetch } from '../../src/model-runtime/model-fetch.js';
import { openaiCompatibleProvider } from '../../src/model-runtime/providers/openai-compatible.js';

const PROVIDER = 'openai_api_compatible';

/** What the server answers next: a status and a body (an object is sent as JSON), or nothing at all. */
let next: { status: number; body: unknown; holdUntilClosed?: boolean } = { status: 200, body: {} };
/** The bodies of requests whose connection closed before an answer. */
const closedEarly: string[] = [];
/** The bodies the server got, in order, and who sent each (the SDK names itself in its user agent). */
const received: string[] = [];
const agents: string[] = [];
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      if (next.holdUntilClosed) {
        // An answer that never comes: the test aborts the call, which must close the connection.
        res.on('close', () => closedEarly.push(body));
        received.push(body);
        return;
      }
      received.push(body);
      agents.push(req.headers['user-agent'] ?? '');
      const json = typeof next.body !== 'string';
      res.writeHead(next.status, { 'content-type': json ? 'application/json' : 'text/plain' });
      res.end(json ? JSON.stringify(next.body) : next.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The model the provider builds (the direct blocking answer) and the SDK's own, for one server. */
async function models(url = base, apiKey: string | undefined = 'sk-whole') {
  const ours = (await openaiCompatibleProvider.languageModel?.({
    credentials: { endpoint_url: `${url}/`, api_key: apiKey, endpoint_model_name: 'upstream-model' },
    model: 'compat',
    mode: 'chat',
    fetch: modelFetch,
  })) as LanguageModelV3;
  const sdk = createOpenAICompatible({
    fetch: modelFetch,
    name: PROVIDER,
    baseURL: url,
    apiKey,
    includeUsage: true,
  }).chatModel('upstream-model');
  return { ours, sdk };
}

/** One call's outcome in the terms the runtime reads: text, finish reason, token counts, or Dify's error. */
async function outcome(model: LanguageModelV3, options: LanguageModelV3CallOptions) {
  try {
    const result = await model.doGenerate(options);
    return {
      text: result.content.map((part) => (part.type === 'text' ? part.text : '')).join(''),
      finish: result.finishReason.unified,
      input: result.usage.inputTokens.total,
      output: result.usage.outputTokens.total,
    };
  } catch (error) {
    const mapped = toModelError(PROVIDER, error);
    return { error: mapped.message, kind: mapped.kind, status: mapped.upstreamStatus };
  }
}

/** Both models' outcomes and request bodies for one answer of the server. */
async function both(options: LanguageModelV3CallOptions, answer = next) {
  const { ours, sdk } = await models();
  next = answer;
  received.length = 0;
  agents.length = 0;
  const a = await outcome(ours, options);
  const b = await outcome(sdk, options);
  expect(received).toHaveLength(2);
  return { ours: a, sdk: b, bodies: [...received], direct: agents[0] === 'difyctl' && agents[1] !== 'difyctl' };
}

const USER = { openai: { user: 'end-user-1' }, azure: { user: 'end-user-1' }, [PROVIDER]: { user: 'end-user-1' } };
const text = (value: string) => [{ type: 'text' as const, text: value }];

const CONVERSATION: LanguageModelV3CallOptions = {
  prompt: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: text('Hi – "Füchse"') },
    { role: 'assistant', content: [...text('Hello'), ...text(', Ada')] },
    { role: 'user', content: [...text('first part'), ...text('second part')] },
  ],
  temperature: 0.3,
  topP: 0.9,
  topK: 4,
  maxOutputTokens: 256,
  presencePenalty: 0.1,
  frequencyPenalty: 0.2,
  seed: 7,
  stopSequences: ['\nHuman:'],
  providerOptions: USER,
};
const ONE_LINE: LanguageModelV3CallOptions = { prompt: [{ role: 'user', content: text('ping') }] };

const ok = (message: object, extra: object = {}) => ({
  status: 200,
  body: {
    id: 'c-1',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: 'stop' }],
    ...extra,
  },
});

describe('the request', () => {
  it.each([
    ['a conversation with every completion param and the end user', CONVERSATION],
    ['one user line and no params', ONE_LINE],
  ])('is the body the SDK sends, to the byte: %s', async (_name, options) => {
    const { ours, sdk, bodies, direct } = await both(options, ok({ content: 'fine' }));
    expect(direct).toBe(true);
    expect(ours).toEqual(sdk);
    expect(bodies[0]).toBe(bodies[1]);
    expect(JSON.parse(bodies[0] ?? '{}')).toMatchObject({ model: 'upstream-model' });
  });

  it.each([
    ['options under the camel-case key', { openaiApiCompatible: { user: 'u-2' } }],
    ['an option other than the end user', { [PROVIDER]: { user: 'u-3', reasoningEffort: 'low' } }],
  ])('leaves %s to the SDK', async (_name, providerOptions) => {
    const { ours, sdk, bodies, direct } = await both({ ...ONE_LINE, providerOptions }, ok({ content: 'fine' }));
    expect(direct).toBe(false);
    expect(ours).toEqual(sdk);
    expect(bodies[0]).toBe(bodies[1]);
  });

  it('leaves an image in the prompt to the SDK (it sends it as image_url)', async () => {
    const options: LanguageModelV3CallOptions = {
      prompt: [
        {
          role: 'user',
          content: [
            ...text('what is this?'),
            { type: 'file', data: new URL('http://127.0.0.1/cat.png'), mediaType: 'image/png' },
          ],
        },
      ],
    };
    const { ours, sdk, bodies, direct } = await both(options, ok({ content: 'a cat' }));
    expect(direct).toBe(false);
    expect(ours).toEqual(sdk);
    expect(bodies[0]).toBe(bodies[1]);
    expect(bodies[0]).toContain('image_url');
  });
});

describe('the answer', () => {
  it.each([
    ['text, stop and usage', ok({ content: 'Hello there' }, { usage: { prompt_tokens: 12, completion_tokens: 3 } })],
    ['no usage', ok({ content: 'Hello' })],
    ['usage without counts', ok({ content: 'Hello' }, { usage: { total_tokens: 9 } })],
    [
      'cut at the length limit',
      { status: 200, body: { choices: [{ message: { content: 'Hel' }, finish_reason: 'length' }] } },
    ],
    [
      'content as parts',
      ok({ content: [{ type: 'text', text: 'a' }, { type: 'image_url' }, { type: 'text', text: 'b' }] }),
    ],
    ['a refusal', ok({ content: null, refusal: 'I cannot help with that.' })],
    ['no content and no finish reason', { status: 200, body: { choices: [{ message: {} }] } }],
    [
      'an unknown finish reason',
      { status: 200, body: { choices: [{ message: { content: 'x' }, finish_reason: 'eos' }] } },
    ],
    ['extra fields', ok({ content: 'x', reasoning_content: 'hmm', audio: null }, { system_fingerprint: 'fp' })],
  ])('reads as the SDK reads it: %s', async (_name, answer) => {
    const { ours, sdk, direct } = await both(ONE_LINE, answer);
    expect(direct).toBe(true);
    expect(ours).toEqual(sdk);
    expect(ours).not.toHaveProperty('error');
  });
});

describe('a failure', () => {
  it.each([
    ['401 with an OpenAI error', { status: 401, body: { error: { message: 'Incorrect API key', type: 'auth' } } }],
    ['429 with an OpenAI error', { status: 429, body: { error: { message: 'Rate limit reached', code: 429 } } }],
    ['500 as text', { status: 500, body: 'upstream exploded' }],
    ['503 with an empty body', { status: 503, body: '' }],
    ['400 with a long error', { status: 400, body: { error: { message: 'x'.repeat(900) } } }],
    ['404 with another error shape', { status: 404, body: { detail: 'Not Found' } }],
    ['200 that is not JSON', { status: 200, body: 'garbage' }],
    ['200 without choices', { status: 200, body: { id: 'x' } }],
    ['200 with no choice', { status: 200, body: { choices: [] } }],
    ['200 with content of the wrong type', ok({ content: 42 })],
    ['200 with usage of the wrong type', ok({ content: 'x' }, { usage: { prompt_tokens: 'many' } })],
  ])('is the error the SDK call gives: %s', async (_name, answer) => {
    const { ours, sdk, direct } = await both(ONE_LINE, answer);
    expect(direct).toBe(true);
    expect(ours).toEqual(sdk);
    expect(ours).toHaveProperty('error');
  });

  it('is a connection error when nobody listens, as with the SDK', async () => {
    const gone = http.createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const port = (gone.address() as AddressInfo).port;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const { ours, sdk } = await models(`http://127.0.0.1:${port}/v1`, undefined);
    const a = await outcome(ours, ONE_LINE);
    expect(a).toEqual(await outcome(sdk, ONE_LINE));
    expect(a).toMatchObject({ kind: 'connection' });
  });

  it('closes the connection when the caller aborts while the server is still answering', async () => {
    const { ours } = await models();
    next = { status: 200, body: {}, holdUntilClosed: true };
    received.length = 0;
    closedEarly.length = 0;
    const controller = new AbortController();
    const call = ours.doGenerate({ ...ONE_LINE, abortSignal: controller.signal });
    await expect.poll(() => received.length).toBe(1);
    controller.abort(new Error('stopped by the test'));
    await expect(call).rejects.toThrow('stopped by the test');
    await expect.poll(() => closedEarly.length).toBe(1);
    next = { status: 200, body: {} };
  });

  it('stops when the caller aborts, before the server answers', async () => {
    const { ours } = await models();
    const controller = new AbortController();
    controller.abort(new Error('stopped by the test'));
    received.length = 0;
    await expect(ours.doGenerate({ ...ONE_LINE, abortSignal: controller.signal })).rejects.toThrow();
    expect(received).toHaveLength(0);
  });
});
