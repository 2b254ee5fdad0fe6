/**
 * A row looked up by its key is found by the key alone, whose it is checked on the row
 * (docs/ARCHITECTURE.md, "Lookups by key"). On real PostgreSQL, in the state that made continued
 * conversations slow: one end user with thousands of conversations and messages, the tables never
 * analyzed. There the scope written into the WHERE clause walks the end user's index (the control);
 * every lookup the code sends must use the primary key instead, and still refuse another user's rows;
 * the OpenAI door's search for a transcript's conversation walks this user's conversations only.
 * Batches by key (several finished answers, several continued conversations in one statement) are
 * planned afresh: a plan PostgreSQL cached while the table was small scans every row (the control).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRecords,
  finishMessage,
  findConversation,
  statementTag,
  type MessageOutcome,
  type NewRecords,
} from '../../src/apps/records.js';
import { conversationMessageLogs } from '../../src/server/services/app-logs.js';
import { deleteConversation, getConversation, renameConversation } from '../../src/server/services/conversations.js';
import { getOwnMessage } from '../../src/server/services/messages.js';
import { conversationOfTranscript } from '../../src/server/services/openai-door.js';
import { suggestedQuestions } from '../../src/server/services/suggested-questions.js';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { freeUsage } from '../helpers/usage.js';
import { firstAnswer, startHarness, type Harness } from './apps-harness.js';
import { useServers } from './server-fixtures.js';

let pgServer: TestPostgres;
useServers((servers) => ({ pg: pgServer } = servers));

/** The indexes a lookup by key must not walk. */
const SCOPE_INDEXES = /conversations_app_user_idx|messages_app_id_idx/;
const OTHERS = 3000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/** The tables an EXPLAIN (FORMAT JSON) plan (its row, as JSON text) reads whole. */
function seqScanned(explained: string): string[] {
  return scanned(explained, (type) => type === 'Seq Scan');
}

/** The tables a plan reads (any scan node; a table written to is not read). */
function scanned(explained: string, kind = (type: string) => type.endsWith('Scan')): string[] {
  const walk = (node: PlanNode): string[] => [
    ...(kind(node['Node Type']) && node['Relation Name'] ? [node['Relation Name']] : []),
    ...(node.Plans ?? []).flatMap(walk),
  ];
  const [{ Plan }] = JSON.parse(explained)['QUERY PLAN'] as [{ Plan: PlanNode }];
  return walk(Plan);
}

describe('lookups by key', () => {
  let llm: StandIn;
  let h: Harness;
  let pool: pg.Pool;
  /** `pool.query` itself, not explained. */
  let raw: (config: pg.QueryConfig | string, values?: unknown[]) => Promise<pg.QueryResult>;
  /** The plan PostgreSQL chose for each statement sent through `pool` (EXPLAIN with the same values). */
  const plans: Array<{ text: string; name?: string; plan: string }> = [];
  let scope: { appId: string; endUserId: string; tenantId: string };
  let conversationId: string;
  let messageId: string;

  beforeAll(async () => {
    llm = await startStandIn();
    h = await startHarness({ pg: pgServer, llm });
    ({ conversation_id: conversationId, message_id: messageId } = await firstAnswer(h, 'many-user'));
    const [user] = await h.sql<{ id: string }>(`SELECT id FROM end_users WHERE session_id = 'many-user'`);
    scope = { appId: h.chat.appId, endUserId: user!.id, tenantId: h.tenantId };
    // No statistics are gathered (and nothing replans the control's statement).
    await h.sql(`ALTER TABLE conversations SET (autovacuum_enabled = false);
                 ALTER TABLE messages SET (autovacuum_enabled = false)`);
    // The same end user's other conversations, each with a message.
    await h.sql(`WITH c AS (INSERT INTO conversations (app_id, model_provider, model_id, mode, name, inputs, introduction,
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
      const name = typeof config === 'string' ? undefined : config.name;
      plans.push({ text, name, plan: JSON.stringify(explained.rows[0]) });
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

  /** The rows of a message of this end user's chat app: a new conversation, or the next message of `conversation`. */
  let configId: string | undefined;
  async function message(query: string, conversation?: string): Promise<NewRecords> {
    configId ??= (
      await h.sql<{ app_model_config_id: string }>(`SELECT app_model_config_id FROM apps WHERE id = '${scope.appId}'`)
    )[0]!.app_model_config_id;
    return {
      appId: scope.appId,
      mode: 'chat',
      appModelConfigId: configId,
      provider: 'openai',
      model: 'gpt-4o-mini',
      endUserId: scope.endUserId,
      inputs: {},
      query,
      introduction: '',
      ...(conversation
        ? { conversation: { id: conversation, appModelConfigId: configId, inputs: {}, isNew: false, history: [] } }
        : {}),
    };
  }

  it('keeps the plan of the batch that starts conversations: it reads only apps, by key', async () => {
    const first = await message('first');
    plans.length = 0;
    const start = () => createRecords(pool, first);
    // Called in one turn of the event loop: one statement for both.
    const created = await Promise.all([start(), start()]);
    expect(new Set(created.map((c) => c.conversationId)).size).toBe(2);
    const batches = plans.filter((p) => statementTag(p.text)?.endsWith('-many'));
    expect(batches.map((p) => [statementTag(p.text), p.name])).toEqual([
      ['apps.records.start-many', 'apps.records.start-many'],
    ]);
    expect(scanned(batches[0]!.plan)).toEqual(['apps']);
  });

  it('plans batches by key afresh: each row by the primary key, where a cached plan scans the table', async () => {
    // The control, in one transaction on a copy of the table (nothing replans the statement meanwhile:
    // under a busy server a cache reset would): a named batched UPDATE prepared while the table held one
    // row keeps its plan after 3,000 more.
    const cached = new pg.Client(h.db);
    await cached.connect();
    try {
      await cached.query(`BEGIN;
        SET LOCAL plan_cache_mode = force_generic_plan;
        CREATE TEMP TABLE small_messages (LIKE messages INCLUDING ALL) ON COMMIT DROP;
        INSERT INTO small_messages SELECT * FROM messages LIMIT 1;
        PREPARE finish_many (uuid[], text[]) AS UPDATE small_messages AS m SET answer = v.answer
          FROM unnest($1, $2) AS v(id, answer) WHERE m.id = v.id;
        EXECUTE finish_many (ARRAY[gen_random_uuid()], ARRAY['a']);
        INSERT INTO small_messages SELECT * FROM messages OFFSET 1`);
      const { rows: control } = await cached.query(
        `EXPLAIN (FORMAT JSON) EXECUTE finish_many (ARRAY['${messageId}'::uuid], ARRAY['a'])`,
      );
      expect(seqScanned(JSON.stringify(control[0]))).toEqual(['small_messages']);
    } finally {
      await cached.end();
    }

    const others = await h.sql<{ conversation: string; message: string }>(
      `SELECT c.id AS conversation, m.id AS message FROM conversations c JOIN messages m ON m.conversation_id = c.id
        WHERE c.name = 'n' ORDER BY c.id LIMIT 2`,
    );
    const usage = freeUsage(1, 1, 0.1);
    const outcome = (id: string): MessageOutcome => ({
      messageId: id,
      prompt: [{ role: 'user', content: 'q' }],
      answer: `answer of ${id}`,
      usage,
      latencySeconds: 0.1,
      status: 'normal',
      error: null,
      metadata: {},
    });
    // Called in one turn of the event loop: each kind leaves as one statement.
    const next = await Promise.all(others.map((o) => message('next', o.conversation)));
    plans.length = 0;
    const continued = next.map((input) => createRecords(pool, input));
    await Promise.all([...others.map((o) => finishMessage(pool, outcome(o.message))), ...continued]);
    const written = await h.sql<{ answer: string; dialogue_count: number }>(
      `SELECT m.answer, c.dialogue_count FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.id IN ('${others[0]!.message}', '${others[1]!.message}') ORDER BY m.id`,
    );
    expect(written.map((w) => w.answer).sort()).toEqual(others.map((o) => `answer of ${o.message}`).sort());
    expect(written.map((w) => w.dialogue_count)).toEqual([1, 1]);

    const batches = plans.filter((p) => statementTag(p.text)?.endsWith('-many'));
    expect(batches.map((p) => statementTag(p.text)).sort()).toEqual([
      'apps.message.finish-many',
      'apps.records.continue-many',
    ]);
    for (const { text, name, plan } of batches) {
      expect(name, text).toBeUndefined();
      expect(
        seqScanned(plan).filter((table) => table === 'messages' || table === 'conversations'),
        text,
      ).toEqual([]);
      expect(plan, text).toMatch(/"Index Name":"(conversations|messages)_pkey"/);
    }
  });
});
