import { describe, expect, it } from 'vitest';
import type { AppEvent, Generation } from '../../src/apps/index.js';
import { collectBlocking } from '../../src/apps/index.js';
import { sseStream } from '../../src/server/routes/service-api/render.js';
import { freeUsage } from '../helpers/usage.js';

const usage = freeUsage(1, 1, 0.5);

/** A generation whose events come from a list; `gate` holds the stream after the first event until released. */
function generation(events: AppEvent[], gate?: Promise<void>): Generation {
  return {
    taskId: 't',
    messageId: 'm',
    conversationId: 'c',
    mode: 'chat',
    createdAt: 1700000000,
    events: (async function* () {
      for (const [i, e] of events.entries()) {
        if (i === 1 && gate) await gate;
        yield e;
      }
    })(),
  };
}

async function read(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe('the SSE rendering of an event stream', () => {
  it('writes one data frame per event in Dify’s field order, with non-ASCII text as UTF-8', async () => {
    const body = await read(
      sseStream(
        generation([
          { event: 'message', answer: 'Grüße “x”' },
          { event: 'message_end', metadata: { annotation_reply: null, retriever_resources: [], usage }, files: null },
        ]),
      ),
    );
    expect(body).toBe(
      'data: {"event":"message","conversation_id":"c","message_id":"m","created_at":1700000000,"task_id":"t","id":"m","answer":"Grüße “x”","from_variable_selector":null}\n\n' +
        `data: {"event":"message_end","conversation_id":"c","message_id":"m","created_at":1700000000,"task_id":"t","id":"m","metadata":{"annotation_reply":null,"retriever_resources":[],"usage":${JSON.stringify(usage)}},"files":null}\n\n`,
    );
  });

  it('sends event: ping while an answer is slow, and ends the stream at an error event', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stream = sseStream(
      generation(
        [
          { event: 'message', answer: 'a' },
          { event: 'error', code: 'completion_request_error', status: 400, message: 'boom' },
          { event: 'message', answer: 'never' },
        ],
        gate,
      ),
      { pingMs: 10 },
    );
    let text = '';
    stream.on('data', (chunk) => {
      text += String(chunk);
      if (text.includes('event: ping\n\n')) release();
    });
    await new Promise((resolve) => stream.on('end', resolve));
    const frames = text.slice(0, -2).split('\n\n');
    expect(frames[0]).toMatch(/^data: \{"event":"message"/);
    expect(frames).toContain('event: ping');
    expect(frames.at(-1)).toBe(
      'data: {"event":"error","conversation_id":"c","message_id":"m","created_at":1700000000,"code":"completion_request_error","status":400,"message":"boom"}',
    );
    expect(text).not.toContain('never');
  });

  it('collects a blocking answer (message_replace wins) and turns an error event into its error', async () => {
    const doc = await collectBlocking(
      generation([
        { event: 'message', answer: 'bad ' },
        { event: 'message', answer: 'word' },
        { event: 'message_replace', answer: 'Sorry.', reason: 'output_moderation' },
        { event: 'message_end', metadata: { annotation_reply: null, retriever_resources: [], usage }, files: null },
      ]),
    );
    expect(doc).toEqual({
      event: 'message',
      task_id: 't',
      id: 'm',
      message_id: 'm',
      conversation_id: 'c',
      mode: 'chat',
      answer: 'Sorry.',
      metadata: { annotation_reply: null, retriever_resources: [], usage },
      created_at: 1700000000,
    });
    await expect(
      collectBlocking(generation([{ event: 'error', code: 'provider_quota_exceeded', status: 400, message: 'quota' }])),
    ).rejects.toMatchObject({ code: 'provider_quota_exceeded', status: 400, message: 'quota' });
  });
});
