/**
 * A row looked up by its key is found by the key alone, whose it is checked on the row
 * (docs/ARCHITECTURE.md, "Lookups by key"). On real PostgreSQL, in the state that made continued
 * conversations slow: one end user with thousands of conversations and messages, the tables never
 * analyzed. There the scope written into the WHERE clause walks the end user's index (the control);
 * every lookup the code sends must use the primary key instead, and still refuse another user's rows;
 * the OpenAI door's search for a transcript's conversation walks this user's conversations only.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findConversation } from '../../src/apps/records.js';
import { conversationMessageLogs } from '../../src/server/services/app-logs.js';
import { deleteConversation, getConversation, renameConversation } from '../../src/server/services/conversations.js';
import { getOwnMessage } from '../../src/server/services/messages.js';
import { conversationOfTranscript } from '../../src/server/services/openai-door.js';
import { suggestedQuestions } from '../../src/server/services/suggested-questions.js';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { firstAnswer, startHarness, type Harness } from './apps-harness.js';
import { useServers } from './server-fixtures.js';

let pgServer: TestPostgres;
useServers((servers) => ({ pg: pgServer } = servers));

/** The indexes a lookup by key must not walk. */
const SCOPE_INDEXES = /conversations_app_user_idx|messages_app_id_idx/;
const OTHERS = 3000;

describe('lookups by key', () => {
  let llm: StandIn;
  let h: Harness;
  let pool: pg.Pool;
  /** `pool.query` itself, not explained. */
  let raw: (config: pg.QueryConfig | string, values?: unknown[]) => Promise<pg.QueryResult>;
  /** The plan PostgreSQL chose for each statement sent through `pool` (EXPLAIN with the same values). */
  const plans: Array<{ text: string; plan: string }> = [];
  let scope: { appId: string; endUserId: string; tenantId: string };
  let conversationId: string;
  let messageId: string;

  beforeAll(async () => {
    llm = await startStandIn();
    h = await startHarness({ pg: pgServer, llm });
    ({ conversation_id: conversationId, message_id: messageId } = await firstAnswer(h, 'many-user'));
    const [user] = await h.sql<{ id: string }>(`SELECT id FROM end_users WHERE session_id = 'many-user'`);
    scope = { appId: h.chat.appId, endUserId: user!.id, tenantId: h.tenantId };
    // The same end user's other conversations, each with a message; no statistics are gathered.
    await h.sql(`ALTER TABLE conversations SET (autovacuum_enabled = false);
                 ALTER TABLE messages SET (autovacuum_enabled = false);
                 WITH c AS (INSERT INTO conversations (app_id, model_provider, model_id, mode, name, inputs, introduction,
                                                      status, invoke_from, from_source, from_end_user_id)
                            SELECT '${scope.appId}', 'openai', 'gpt-4o-mini', 'chat', 'n', '{}', '', 'normal',
                                   'service-api', 'api', '${scope.endUserId}' FROM generate_series(1, ${OTHERS}) RETURNING id)
                 INSERT INTO messages (app_id, conversation_id, query, message, answer, from_source, from_end_user_id)
                 SELECT '${scope.appId}', c.id, 'q', '[]', 'a', 'api', '${scope.endUserId}' FROM c`);
    pool = new pg.Pool({ ...h.db, max: 2 });
    raw = pool.query.bind(pool) as typeof raw;
    (pool as unknown as { query: typeof raw }).query = async (config, values) => {
      const { text, values: given } = typeof config === 'string' ? { text: config, values } : config;
      const explained = await raw({ text: `EXPLAIN (FORMAT JSON) ${text}`, values: given ?? values });
      plans.push({ text, plan: JSON.stringify(explained.rows[0]) });
      return raw(config, values);
    };
  });
  afterAll(async () => {
    await pool?.end();
    await h?.close();
    await llm?.close();
  });

  it('the scope written into the WHERE clause walks the end user index here (the state is adverse)', async () => {
    const { rows } = await raw(
      `EXPLAIN (FORMAT JSON) SELECT 1 FROM conversations
        WHERE id = $1 AND app_id = $2 AND from_source = 'api' AND from_end_user_id = $3 AND NOT is_deleted`,
      [conversationId, scope.appId, scope.endUserId],
    );
    expect(JSON.stringify(rows[0])).toMatch(/conversations_app_user_idx/);
  });

  it("the OpenAI door looks for a transcript's conversation among this user's conversations only", async () => {
    plans.length = 0;
    const found = await conversationOfTranscript(pool, { ...scope, turns: [{ query: 'hello', answer: 'unknown' }] });
    expect(found.conversationId).toBeNull();
    const [candidates] = plans;
    // The user index bounded by its three leading columns (app, source, user), so the scan covers
    // this user's conversations; with the source left out it ranges over every conversation of the app.
    const scan = /"Index Name":"conversations_app_user_idx",[^}]*?"Index Cond":"([^"]*)"/.exec(candidates?.plan ?? '');
    expect(scan?.[1]).toMatch(/app_id = .*from_source = 'api'.*from_end_user_id = /);
  });

  it("finds the user's conversation and message by the primary key, and refuses them to another user", async () => {
    plans.length = 0;
    const stranger = { ...scope, endUserId: '00000000-0000-4000-8000-000000000001' };
    expect((await findConversation(pool, { ...scope, conversationId })).id).toBe(conversationId);
    await expect(findConversation(pool, { ...stranger, conversationId })).rejects.toMatchObject({
      status: 404,
    });
    expect((await getConversation(pool, { ...scope, conversationId })).id).toBe(conversationId);
    await expect(getConversation(pool, { ...stranger, conversationId })).rejects.toMatchObject({ status: 404 });
    expect((await getOwnMessage(pool, { ...scope, messageId })).id).toBe(messageId);
    await expect(getOwnMessage(pool, { ...stranger, messageId })).rejects.toMatchObject({ status: 404 });
    expect((await conversationMessageLogs(pool, { appId: scope.appId, conversationId, limit: 5 })).data).toHaveLength(
      1,
    );
    // Suggestions are off for this app: refused (403) after the conversation was looked up.
    await expect(
      suggestedQuestions({ pool, runtime: h.app.difyctx.modelRuntime }, { ...scope, messageId }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(renameConversation(pool, { ...stranger, conversationId, name: 'theirs' })).rejects.toMatchObject({
      status: 404,
    });
    expect((await renameConversation(pool, { ...scope, conversationId, name: 'mine' })).name).toBe('mine');
    await expect(deleteConversation(pool, { ...stranger, conversationId })).rejects.toMatchObject({ status: 404 });
    await deleteConversation(pool, { ...scope, conversationId });
    await expect(getConversation(pool, { ...scope, conversationId })).rejects.toMatchObject({ status: 404 });

    // The statements that look a conversation or a message up by its id (not the message page).
    const byKey = plans.filter(
      (p) => /(FROM|UPDATE) (conversations|messages)\b/.test(p.text) && /\bid = \$\d/.test(p.text),
    );
    expect(byKey.length).toBeGreaterThanOrEqual(10);
    for (const { text, plan } of byKey) {
      expect(plan, text).not.toMatch(SCOPE_INDEXES);
      expect(plan, text).toMatch(/"Index Name":"(conversations|messages)_pkey"/);
    }
  });
});
