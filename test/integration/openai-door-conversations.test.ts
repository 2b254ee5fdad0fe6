/**
 * Which Dify conversation an OpenAI transcript continues: the stored conversation of that user whose
 * exchanges are the transcript's last ones. An edited earlier turn branches into a new conversation
 * (the shared turns go into the prompt, unstored); another user's or a deleted conversation is never
 * continued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REPLY, startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { json, type Json } from './apps-fixtures.js';
import { startHarness, type Harness } from './apps-harness.js';
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

const A = DEFAULT_REPLY;
const turn = (query: string): Json[] => [
  { role: 'user', content: query },
  { role: 'assistant', content: A },
];

/** Asks through the door; answers the conversation it went to. */
async function ask(user: string, messages: Json[]): Promise<string> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: `Bearer ${h.chat.key}` },
    payload: { model: h.chat.appId, user, inputs: { name: 'Ada' }, messages },
  });
  expect(res.statusCode, res.body).toBe(200);
  expect(json(res).choices[0].message.content).toBe(A);
  return res.headers['x-dify-conversation-id'] as string;
}

/** The user and assistant messages the model got for the request that asked `query`. */
const promptOf = (query: string): string[] =>
  (
    (
      llm
        .requests()
        .findLast(
          (r) => JSON.stringify(r.body).includes(query) && !JSON.stringify(r.body).includes('Write a very short title'),
        )!.body as Json
    ).messages as Json[]
  )
    .filter((m) => m.role !== 'system')
    .map((m) => String(m.content));

const queries = async (conversationId: string): Promise<string[]> =>
  (
    await h.sql<{ query: string }>(
      `SELECT query FROM messages WHERE conversation_id = '${conversationId}' ORDER BY created_at`,
    )
  ).map((r) => r.query);

describe('the conversation a transcript continues', () => {
  it('continues, branches on an edited turn, continues the branch, and keeps users and deleted conversations apart', async () => {
    const first = await ask('alice', [{ role: 'user', content: 'q1' }]);
    expect(await ask('alice', [...turn('q1'), { role: 'user', content: 'q2' }])).toBe(first);
    expect(await queries(first)).toEqual(['q1', 'q2']);
    expect(promptOf('q2')).toEqual(['q1', A, 'q2']);

    // q2 edited: the stored conversation does not end with (q1, A) any more → a new one, q1 in its prompt.
    const branch = await ask('alice', [...turn('q1'), { role: 'user', content: 'q2-edited' }]);
    expect(branch).not.toBe(first);
    expect(await queries(branch)).toEqual(['q2-edited']);
    expect(promptOf('q2-edited')).toEqual(['q1', A, 'q2-edited']);
    // The branch goes on: its stored turn from the database, the shared one from the transcript.
    expect(await ask('alice', [...turn('q1'), ...turn('q2-edited'), { role: 'user', content: 'q3' }])).toBe(branch);
    expect(promptOf('q3')).toEqual(['q1', A, 'q2-edited', A, 'q3']);

    // Same transcript, another user: never alice's conversation.
    const bobs = await ask('bob', [...turn('q1'), ...turn('q2'), { role: 'user', content: 'q4' }]);
    expect([first, branch]).not.toContain(bobs);
    // A deleted conversation is not continued.
    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `/v1/conversations/${first}`,
      headers: { authorization: `Bearer ${h.chat.key}` },
      payload: { user: 'alice' },
    });
    expect(deleted.statusCode).toBe(204);
    const after = await ask('alice', [...turn('q1'), ...turn('q2'), { role: 'user', content: 'q5' }]);
    expect(after).not.toBe(first);
  });
});
