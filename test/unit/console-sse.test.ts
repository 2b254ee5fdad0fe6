import { describe, expect, it } from 'vitest';
import { sseEvents } from '../../src/console-client/sse.js';

/** A body delivered in the given pieces (as a network splits it). */
const body = (...pieces: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of pieces) controller.enqueue(new TextEncoder().encode(p));
      controller.close();
    },
  });

const collect = async (stream: ReadableStream<Uint8Array>) => {
  const out: unknown[] = [];
  for await (const e of sseEvents(stream)) out.push(e);
  return out;
};

describe("Dify's SSE as events", () => {
  it('reads data frames split anywhere, skips pings, keeps multi-byte characters whole', async () => {
    const text =
      'data: {"event":"message","answer":"h\u00e9"}\n\nevent: ping\n\ndata: {"event":"message_end","conversation_id":"c1"}\n\n';
    const bytes = new TextEncoder().encode(text);
    // Cut inside the two-byte é and inside the blank line.
    const cut1 = text.indexOf('\u00e9') + 1;
    const pieces = [bytes.slice(0, cut1), bytes.slice(cut1, 40), bytes.slice(40)];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of pieces) controller.enqueue(p);
        controller.close();
      },
    });
    expect(await collect(stream)).toEqual([
      { event: 'message', answer: 'h\u00e9' },
      { event: 'message_end', conversation_id: 'c1' },
    ]);
  });

  it('accepts CRLF line ends and a last frame without its blank line', async () => {
    expect(
      await collect(body('data: {"event":"message","answer":"a"}\r\n\r\n', 'data: {"event":"error","code":"x"}')),
    ).toEqual([
      { event: 'message', answer: 'a' },
      { event: 'error', code: 'x' },
    ]);
  });
});
