/**
 * The OpenAI-compatible door's pure translation: transcripts → query, system and earlier turns;
 * Dify events → OpenAI documents and chunks; Dify errors → OpenAI's shape and status.
 */
import { describe, expect, it } from 'vitest';
import type { AppEvent, Generation } from '../../src/apps/index.js';
import {
  answerDocument,
  base64Embedding,
  collectAnswer,
  firstEventChecked,
  coveredTurns,
  embeddingsDocument,
  openAiErrorBody,
  openAiStatus,
  readPrompt,
  readTranscript,
  reshapeErrorPayload,
  streamEncoder,
} from '../../src/apps/openai/index.js';
import { sseStream } from '../../src/server/routes/service-api/render.js';
import { freeUsage } from '../helpers/usage.js';

const usage = freeUsage(7, 3, 0.1);
const end = (finishReason?: 'stop' | 'length'): AppEvent => ({
  event: 'message_end',
  metadata: { annotation_reply: null, retriever_resources: [], usage },
  files: null,
  ...(finishReason ? { finishReason } : {}),
});
const meta = { kind: 'chat' as const, id: 'chatcmpl-m1', created: 1700000000, model: 'app-1' };

async function* events(list: AppEvent[]): AsyncGenerator<AppEvent> {
  yield* list;
}

/** The `data:` payloads of an SSE text, in order. */
const frames = (text: string): string[] =>
  text
    .split('\n\n')
    .filter((f) => f.startsWith('data: '))
    .map((f) => f.slice(6));

describe('reading an OpenAI transcript', () => {
  it('takes the last user message as the query, system messages as the pre-prompt addition, earlier exchanges as turns', () => {
    const t = readTranscript([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is tea?' },
          { type: 'image_url', image_url: { url: 'https://example.com/tea.png' } },
        ],
      },
    ]);
    expect(t).toEqual({
      query: 'What is tea?',
      images: ['https://example.com/tea.png'],
      system: 'Be brief.\n\nAnswer in English.',
      turns: [{ query: 'Hi', answer: 'Hello!' }],
    });
  });

  it('reads user messages in a row as one query, and an answer without a question as a turn with an empty query', () => {
    expect(
      readTranscript([
        { role: 'assistant', content: 'Welcome' },
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ]),
    ).toEqual({ query: 'a\nb', images: [], system: '', turns: [{ query: '', answer: 'Welcome' }] });
  });

  it('refuses what it cannot serve, naming the field', () => {
    expect(() => readTranscript([])).toThrow(/messages: must hold at least one message/);
    expect(() =>
      readTranscript([
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'a' },
      ]),
    ).toThrow(/messages\.1\.role: the last message must be the user's/);
    expect(() =>
      readTranscript([
        { role: 'tool', content: 'x' },
        { role: 'user', content: 'q' },
      ]),
    ).toThrow(/messages\.0\.role: tool messages are not supported/);
    expect(() => readTranscript([{ role: 'user', content: [{ type: 'input_audio' }] }])).toThrow(
      /messages\.0\.content\.0\.type: input_audio parts are not supported/,
    );
    expect(() =>
      readTranscript([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }] }]),
    ).toThrow(/image_url\.url: must be an http\(s\) URL/);
  });

  it('reads a legacy prompt (a string, or a list of one)', () => {
    expect(readPrompt('x')).toBe('x');
    expect(readPrompt(['y'])).toBe('y');
    expect(() => readPrompt(['a', 'b'])).toThrow(/one prompt per request/);
  });

  it('matches a stored conversation only when its exchanges are the transcript’s last ones', () => {
    const transcript = [
      { query: 'a', answer: '1' },
      { query: 'b', answer: '2 ' },
      { query: 'c', answer: '3' },
    ];
    expect(
      coveredTurns(transcript, [
        { query: 'b', answer: '2' },
        { query: 'c', answer: '3' },
      ]),
    ).toBe(2);
    expect(
      coveredTurns(transcript, [
        { query: 'a', answer: '1' },
        { query: 'c', answer: '3' },
      ]),
    ).toBe(0);
    expect(coveredTurns(transcript, [])).toBe(0);
    expect(coveredTurns([{ query: 'c', answer: '3' }], transcript)).toBe(0);
  });
});

describe('Dify events as OpenAI answers', () => {
  it('collects a blocking chat.completion with usage and finish_reason', async () => {
    const doc = await collectAnswer(
      meta,
      events([{ event: 'message', answer: 'Tea ' }, { event: 'message', answer: 'is good.' }, end('length')]),
    );
    expect(doc).toEqual({
      id: 'chatcmpl-m1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'app-1',
      system_fingerprint: null,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Tea is good.', refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'length',
        },
      ],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
  });

  it('gives a moderated answer with finish_reason content_filter, and raises an error event with its kind', async () => {
    const doc = await collectAnswer(
      meta,
      events([
        { event: 'message', answer: 'bad' },
        { event: 'message_replace', answer: 'Sorry.', reason: 'output_moderation' },
        end(),
      ]),
    );
    expect(doc.choices).toEqual([
      expect.objectContaining({
        message: expect.objectContaining({ content: 'Sorry.' }),
        finish_reason: 'content_filter',
      }),
    ]);
    await expect(
      collectAnswer(
        meta,
        events([
          { event: 'error', code: 'completion_request_error', status: 400, message: 'down', kind: 'connection' },
        ]),
      ),
    ).rejects.toMatchObject({ code: 'completion_request_error', kind: 'connection' });
  });

  it('renders a text_completion document for completion answers', () => {
    expect(
      answerDocument({ ...meta, kind: 'text', id: 'cmpl-1' }, 'x', 'stop', {
        prompt_tokens: 1,
        completion_tokens: 1,
        total_tokens: 2,
      }),
    ).toMatchObject({
      object: 'text_completion',
      choices: [{ text: 'x', index: 0, logprobs: null, finish_reason: 'stop' }],
    });
  });

  it('streams chat.completion.chunk deltas: role first, a final chunk with finish_reason, the usage chunk, then [DONE]', () => {
    const encode = streamEncoder(meta, { includeUsage: true });
    const text = [
      { event: 'message', answer: 'Hi' } as AppEvent,
      { event: 'message', answer: ' there' } as AppEvent,
      end(),
    ]
      .map(encode)
      .join('');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const chunks = frames(text)
      .slice(0, -1)
      .map((f) => JSON.parse(f) as Record<string, unknown>);
    const base = {
      id: 'chatcmpl-m1',
      object: 'chat.completion.chunk',
      created: 1700000000,
      model: 'app-1',
      system_fingerprint: null,
    };
    expect(chunks).toEqual([
      {
        ...base,
        choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, logprobs: null, finish_reason: null }],
        usage: null,
      },
      {
        ...base,
        choices: [{ index: 0, delta: { content: ' there' }, logprobs: null, finish_reason: null }],
        usage: null,
      },
      { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null },
      { ...base, choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } },
    ]);
  });

  it('streams without usage fields unless asked, sends the role for an empty answer, and ends at an error without [DONE]', () => {
    const plain = streamEncoder(meta, { includeUsage: false })(end());
    const chunks = frames(plain)
      .slice(0, -1)
      .map((f) => JSON.parse(f) as Record<string, unknown>);
    expect(chunks.map((c) => c.choices)).toEqual([
      [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
      [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }],
    ]);
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    const error = streamEncoder(meta, { includeUsage: false })({
      event: 'error',
      code: 'rate_limit_error',
      status: 429,
      message: 'slow down',
    });
    expect(error).toBe(
      'data: {"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}\n\n',
    );
    // Once the answer has started, a stream the runtime calls a bad request is the provider's failure.
    const cut = streamEncoder(meta, { includeUsage: false });
    cut({ event: 'message', answer: 'a' });
    expect(
      JSON.parse(
        cut({
          event: 'error',
          code: 'completion_request_error',
          status: 400,
          message: 'cut',
          kind: 'bad_request',
        }).slice(6),
      ).error.type,
    ).toBe('server_error');
    expect(
      JSON.parse(
        streamEncoder(meta, { includeUsage: false })({
          event: 'error',
          code: 'completion_request_error',
          status: 400,
          message: 'refused',
          kind: 'bad_request',
        }).slice(6),
      ).error.type,
    ).toBe('invalid_request_error');
  });

  it('streams text_completion chunks for completion answers', () => {
    const encode = streamEncoder({ ...meta, kind: 'text', id: 'cmpl-1' }, { includeUsage: false });
    const chunks = frames(encode({ event: 'message', answer: 'a' }) + encode(end()))
      .slice(0, -1)
      .map((f) => JSON.parse(f) as { object: string; choices: unknown[] });
    expect(chunks.map((c) => [c.object, c.choices])).toEqual([
      ['text_completion', [{ text: 'a', index: 0, logprobs: null, finish_reason: null }]],
      ['text_completion', [{ text: '', index: 0, logprobs: null, finish_reason: 'stop' }]],
    ]);
  });

  it('pings with an SSE comment through the shared SSE writer (an `event: ping` would reach OpenAI clients as a chunk)', async () => {
    let release = (): void => {};
    const gate = new Promise<void>((r) => (release = r));
    const generation: Generation = {
      taskId: 't',
      messageId: 'm',
      conversationId: 'c',
      mode: 'chat',
      createdAt: 1,
      events: (async function* () {
        yield { event: 'message', answer: 'x' } as AppEvent;
        await gate;
        yield end();
      })(),
    };
    const stream = sseStream(generation, {
      encode: streamEncoder(meta, { includeUsage: false }),
      ping: ': ping\n\n',
      pingMs: 20,
    });
    let text = '';
    for await (const chunk of stream) {
      text += String(chunk);
      if (text.includes(': ping')) release();
    }
    expect(text).toContain(': ping\n\n');
    expect(text).not.toContain('event: ping');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});

describe('the first event of a stream', () => {
  it('throws an error that comes before any token (answered with its status), and gives back the whole stream otherwise', async () => {
    let ended = false;
    const failing = (async function* (): AsyncGenerator<AppEvent> {
      try {
        yield { event: 'error', code: 'completion_request_error', status: 400, message: 'down', kind: 'connection' };
      } finally {
        ended = true;
      }
    })();
    await expect(firstEventChecked(failing)).rejects.toMatchObject({
      code: 'completion_request_error',
      kind: 'connection',
      message: 'down',
    });
    expect(ended).toBe(true);
    const fine = await firstEventChecked(events([{ event: 'message', answer: 'a' }, end()]));
    const seen: string[] = [];
    for await (const e of fine) seen.push(e.event);
    expect(seen).toEqual(['message', 'message_end']);
  });

  it('ends the generation when the consumer stops early', async () => {
    let ended = false;
    const source = (async function* (): AsyncGenerator<AppEvent> {
      try {
        yield { event: 'message', answer: 'a' };
        yield { event: 'message', answer: 'b' };
      } finally {
        ended = true;
      }
    })();
    for await (const e of await firstEventChecked(source)) if (e.event === 'message') break;
    expect(ended).toBe(true);
  });
});

describe('errors in OpenAI’s shape', () => {
  it('maps Dify codes to the status OpenAI clients expect', () => {
    expect(openAiStatus({ code: 'completion_request_error', message: '', status: 400, kind: 'connection' })).toBe(502);
    expect(openAiStatus({ code: 'completion_request_error', message: '', status: 400, kind: 'authorization' })).toBe(
      502,
    );
    expect(openAiStatus({ code: 'completion_request_error', message: '', status: 400, kind: 'rate_limit' })).toBe(429);
    expect(openAiStatus({ code: 'completion_request_error', message: '', status: 400, kind: 'bad_request' })).toBe(400);
    expect(openAiStatus({ code: 'completion_request_error', message: 'prompt too long', status: 400 })).toBe(400);
    expect(openAiStatus({ code: 'provider_quota_exceeded', message: '', status: 400 })).toBe(429);
    expect(openAiStatus({ code: 'provider_not_initialize', message: '', status: 400 })).toBe(503);
    expect(openAiStatus({ code: 'invalid_param', message: '', status: 400 })).toBe(400);
  });

  it('gives each error OpenAI’s body, and leaves other payloads alone', () => {
    expect(openAiErrorBody({ code: 'unauthorized', message: 'Access token is invalid' }, 401)).toEqual({
      error: {
        message: 'Access token is invalid',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    expect(openAiErrorBody({ code: 'provider_quota_exceeded', message: 'q' }, 429).error.type).toBe(
      'insufficient_quota',
    );
    expect(openAiErrorBody({ code: 'completion_request_error', message: 'down' }, 502).error).toEqual({
      message: 'down',
      type: 'server_error',
      param: null,
      code: 'completion_request_error',
    });
    expect(
      JSON.parse(
        reshapeErrorPayload('{"code":"too_many_requests","message":"Rate limit exceeded","status":429}', 429)!,
      ),
    ).toEqual({
      error: { message: 'Rate limit exceeded', type: 'requests', param: null, code: 'rate_limit_exceeded' },
    });
    expect(reshapeErrorPayload('not json', 500)).toBeUndefined();
    expect(reshapeErrorPayload('{"error":{"message":"x"}}', 400)).toBeUndefined();
  });
});

describe('embeddings', () => {
  it('encodes base64 as little-endian float32, as OpenAI’s SDKs decode it', () => {
    const encoded = base64Embedding([0.5, -1.25, 3]);
    const bytes = Buffer.from(encoded, 'base64');
    expect([...new Float32Array(bytes.buffer, bytes.byteOffset, 3)]).toEqual([0.5, -1.25, 3]);
    expect(embeddingsDocument({ model: 'e', embeddings: [[1, 2]], tokens: 4, format: 'float' })).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [1, 2] }],
      model: 'e',
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
  });
});
