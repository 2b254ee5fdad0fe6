/**
 * Stopping a streamed answer: from another app instance (another process' worth, sharing the
 * database and the store) and by the client going away. Both end the upstream call early and keep
 * the partial answer in the message row, with status `stopped`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DifyApp } from '../../src/server/app.js';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { startHarness, waitFor, type Harness } from './apps-harness.js';
import { useServers, type TestRedis } from './server-fixtures.js';

/** 100 chunks of 4 characters, 20 ms apart: about 2 s of streaming. */
const LONG_REPLY = 'abcd'.repeat(100);

let pg: TestPostgres;
let redis: TestRedis;
let llm: StandIn;
useServers((servers) => ({ pg, redis } = servers));
beforeAll(async () => {
  llm = await startStandIn({ reply: LONG_REPLY, chunkSize: 4, latencyMs: 20 });
});
afterAll(async () => {
  await llm?.close();
});
// A test that holds the stand-in's answers back (chaos latency) gives them back, even when it fails.
afterEach(() => llm?.clearChaos());

async function listen(app: DifyApp): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return `http://127.0.0.1:${address.port}`;
}

/** Reads SSE frames from a fetch body as they arrive. */
function frames(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  return {
    // biome-ignore lint/suspicious/noExplicitAny: parsed JSON
    async next(): Promise<Record<string, any> | undefined> {
      for (;;) {
        const cut = pending.indexOf('\n\n');
        if (cut >= 0) {
          const frame = pending.slice(0, cut);
          pending = pending.slice(cut + 2);
          if (frame.startsWith('data: ')) return JSON.parse(frame.slice(6)) as Record<string, unknown>;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        pending += decoder.decode(value, { stream: true });
      }
    },
  };
}

describe.each([
  ['with Redis', true],
  ['without Redis (PostgreSQL fallback)', false],
])('stopping a streamed answer %s', (_name, withRedis) => {
  let h: Harness;
  let urlA: string;
  let urlB: string;
  beforeAll(async () => {
    h = await startHarness({ pg, redis: withRedis ? redis : undefined, llm });
    urlA = await listen(h.app);
    urlB = await listen(await h.second());
  });
  afterAll(async () => {
    await h?.close();
  });

  const headers = () => ({ authorization: `Bearer ${h.chat.key}`, 'content-type': 'application/json' });
  const start = (signal?: AbortSignal) =>
    fetch(`${urlA}/v1/chat-messages`, {
      method: 'POST',
      headers: headers(),
      signal,
      body: JSON.stringify({
        inputs: { name: 'Ada' },
        query: 'Talk long',
        user: 'stopper',
        response_mode: 'streaming',
      }),
    });

  it('ends the stream with message_end and keeps the partial answer when another instance stops the task', async () => {
    const res = await start();
    const stream = frames(res.body!);
    const first = (await stream.next())!;
    expect(first.event).toBe('message');
    // Someone else's stop does nothing (the task is not theirs).
    const foreign = await fetch(`${urlB}/v1/chat-messages/${first.task_id}/stop`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ user: 'someone-else' }),
    });
    expect(await foreign.json()).toEqual({ result: 'success' });
    const stop = await fetch(`${urlB}/v1/chat-messages/${first.task_id}/stop`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ user: 'stopper' }),
    });
    expect(await stop.json()).toEqual({ result: 'success' });
    let answer = first.answer as string;
    let last = first;
    for (let e = await stream.next(); e; e = await stream.next()) {
      last = e;
      if (e.event === 'message') answer += e.answer as string;
    }
    expect(last.event).toBe('message_end');
    expect(last.metadata.usage.completion_tokens).toBeGreaterThan(0);
    expect(answer.length).toBeGreaterThan(0);
    expect(answer.length).toBeLessThan(LONG_REPLY.length);
    const [row] = await h.sql<{ answer: string; status: string; message_metadata: { stopped_by?: string } }>(
      `SELECT answer, status, message_metadata FROM messages WHERE id = '${first.message_id}'`,
    );
    expect(row).toMatchObject({ answer, status: 'stopped', message_metadata: { stopped_by: 'user_manual' } });
  });

  it('aborts the upstream call when the client disconnects, keeping the partial answer', async () => {
    const client = new AbortController();
    const res = await start(client.signal);
    const stream = frames(res.body!);
    const first = (await stream.next())!;
    client.abort();
    const row = await waitFor(async () => {
      const [r] = await h.sql<{ answer: string; status: string; message_metadata: { stopped_by?: string } | null }>(
        `SELECT answer, status, message_metadata FROM messages WHERE id = '${first.message_id}'`,
      );
      return r?.message_metadata ? r : undefined;
    }, 'the message row to be completed');
    expect(row.status).toBe('stopped');
    expect(row.message_metadata?.stopped_by).toBe('client_disconnect');
    // Had the upstream call gone on, the row would hold the whole reply.
    expect(row.answer.length).toBeLessThan(LONG_REPLY.length);
    expect(LONG_REPLY.startsWith(row.answer)).toBe(true);
  });
  it('stops a streamed completion from the other instance, and a blocking caller that leaves aborts the call too', async () => {
    const completionHeaders = { authorization: `Bearer ${h.completion.key}`, 'content-type': 'application/json' };
    const res = await fetch(`${urlA}/v1/completion-messages`, {
      method: 'POST',
      headers: completionHeaders,
      body: JSON.stringify({ inputs: { topic: 'tea' }, user: 'stopper', response_mode: 'streaming' }),
    });
    const stream = frames(res.body!);
    const first = (await stream.next())!;
    const stop = await fetch(`${urlB}/v1/completion-messages/${first.task_id}/stop`, {
      method: 'POST',
      headers: completionHeaders,
      body: JSON.stringify({ user: 'stopper' }),
    });
    expect(await stop.json()).toEqual({ result: 'success' });
    let last = first;
    for (let e = await stream.next(); e; e = await stream.next()) last = e;
    expect(last.event).toBe('message_end');
    const [stopped] = await h.sql<{ status: string; answer: string }>(
      `SELECT status, answer FROM messages WHERE id = '${first.message_id}'`,
    );
    expect(stopped!.status).toBe('stopped');
    expect(stopped!.answer.length).toBeLessThan(LONG_REPLY.length);

    // Blocking: the caller gives up while the answer is being generated. A blocking answer asks the
    // model without streaming (as Dify), so the stand-in holds its whole answer back for a while.
    llm.setChaos({ latencyMs: 30_000 });
    const client = new AbortController();
    const pending = fetch(`${urlA}/v1/chat-messages`, {
      method: 'POST',
      headers: headers(),
      signal: client.signal,
      body: JSON.stringify({ inputs: { name: 'Ada' }, query: 'Talk long', user: 'stopper', response_mode: 'blocking' }),
    }).catch(() => undefined);
    // The in-flight message: written before the call, its metadata only once it ends.
    const created = await waitFor(
      async () =>
        (
          await h.sql<{ id: string }>(
            `SELECT id FROM messages WHERE app_id = '${h.chat.appId}' AND message_metadata IS NULL`,
          )
        )[0],
      'the blocking message row',
    );
    client.abort();
    await pending;
    const row = await waitFor(async () => {
      const [r] = await h.sql<{ status: string; answer: string; message_metadata: { stopped_by?: string } | null }>(
        `SELECT status, answer, message_metadata FROM messages WHERE id = '${created.id}'`,
      );
      return r?.message_metadata ? r : undefined;
    }, 'the blocking message row to be completed');
    expect(row).toMatchObject({ status: 'stopped', message_metadata: { stopped_by: 'client_disconnect' } });
    expect(row.answer.length).toBeLessThan(LONG_REPLY.length);
  });
});
