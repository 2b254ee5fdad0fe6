/**
 * A busy api process writes the rows of generations that start (or finish) together in one
 * statement (src/db/coalesce.ts, src/apps/records.ts). On real PostgreSQL: each caller still gets
 * its own rows, a batch takes fewer statements than calls, and a call that cannot be written (a
 * replaced app config, an unknown end user) fails alone while the rest of its batch is written.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecords, finishMessage, statementTag, type NewRecords } from '../../src/apps/records.js';
import { StaleAppConfig } from '../../src/apps/model-config/cache.js';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { firstAnswer, startHarness, type Harness } from './apps-harness.js';
import { useServers } from './server-fixtures.js';

let pgServer: TestPostgres;
useServers((servers) => ({ pg: pgServer } = servers));

describe('rows of generations written together', () => {
  let llm: StandIn;
  let h: Harness;
  let pool: pg.Pool;
  /** The statements sent through `pool`, in order: by name, or by tag (batches go without a name). */
  const statements: string[] = [];
  let base: Omit<NewRecords, 'query'>;

  beforeAll(async () => {
    llm = await startStandIn();
    h = await startHarness({ pg: pgServer, llm });
    // One blocking answer makes the end user the calls below write for.
    await firstAnswer(h, 'batch-user');
    const [row] = await h.sql<{ end_user: string; config: string }>(
      `SELECT e.id AS end_user, a.app_model_config_id AS config FROM end_users e JOIN apps a ON a.id = e.app_id
        WHERE e.session_id = 'batch-user' AND a.id = '${h.chat.appId}'`,
    );
    base = {
      appId: h.chat.appId,
      mode: 'chat',
      appModelConfigId: row!.config,
      provider: 'openai',
      model: 'gpt-4o-mini',
      endUserId: row!.end_user,
      inputs: { name: 'Ada' },
      introduction: '',
    };
    pool = new pg.Pool({ ...h.db, max: 4 });
    const query = pool.query.bind(pool) as (config: { name?: string; text?: string }) => Promise<unknown>;
    (pool as unknown as { query: typeof query }).query = (config) => {
      statements.push(config.name ?? statementTag(config.text ?? '') ?? '(unnamed)');
      return query(config);
    };
  });
  afterAll(async () => {
    await pool?.end();
    await h?.close();
    await llm?.close();
  });

  /** `n` new conversations started in one turn (queries `label 0`…), call `bad` with `change`: each outcome. */
  const startTogether = (label: string, n: number, bad: number, change: Partial<NewRecords>) => {
    statements.length = 0;
    return Promise.allSettled(
      Array.from({ length: n }, (_, i) =>
        createRecords(pool, { ...base, query: `${label} ${i}`, ...(i === bad ? change : {}) }),
      ),
    );
  };

  const usage = {
    prompt_tokens: 3,
    prompt_unit_price: '0.15',
    prompt_price_unit: '0.000001',
    prompt_price: '0',
    completion_tokens: 5,
    completion_unit_price: '0.6',
    completion_price_unit: '0.000001',
    completion_price: '0',
    total_tokens: 8,
    total_price: '0.0000035',
    currency: 'USD',
    latency: 0.01,
  };

  it('writes twelve new conversations and their answers with fewer statements than calls, each row its own', async () => {
    statements.length = 0;
    const queries = Array.from({ length: 12 }, (_, i) => `question ${i}`);
    const created = await Promise.all(queries.map((query) => createRecords(pool, { ...base, query })));
    expect(new Set(created.map((c) => c.messageId)).size).toBe(12);
    expect(new Set(created.map((c) => c.conversationId)).size).toBe(12);
    await Promise.all(
      created.map((c, i) =>
        finishMessage(pool, {
          messageId: c.messageId,
          prompt: [{ role: 'user', content: queries[i]! }],
          answer: `answer "${i}" \\ {${i}}`,
          usage,
          latencySeconds: 0.5 + i,
          status: i === 7 ? 'error' : 'normal',
          error: i === 7 ? 'provider said no' : null,
          metadata: { turn: i },
        }),
      ),
    );
    expect(statements).toContain('apps.records.start-many');
    expect(statements).toContain('apps.message.finish-many');
    expect(statements.length).toBeLessThan(24);
    const rows = await h.sql<Record<string, unknown>>(
      `SELECT m.id, m.conversation_id, m.query, m.answer, m.status, m.error, m.message_tokens, m.total_price::text AS total_price,
              m.provider_response_latency AS latency, m.message_metadata, m.message, c.name, c.dialogue_count, c.app_model_config_id
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.id IN (${created.map((c) => `'${c.messageId}'`).join(', ')})`,
    );
    expect(rows).toHaveLength(12);
    for (const [i, c] of created.entries()) {
      const row = rows.find((r) => r.id === c.messageId);
      expect(row).toMatchObject({
        conversation_id: c.conversationId,
        query: `question ${i}`,
        answer: `answer "${i}" \\ {${i}}`,
        status: i === 7 ? 'error' : 'normal',
        error: i === 7 ? 'provider said no' : null,
        message_tokens: 3,
        total_price: '0.0000035',
        latency: 0.5 + i,
        message_metadata: { turn: i },
        message: [{ role: 'user', text: `question ${i}`, files: [] }],
        name: 'New conversation',
        dialogue_count: 1,
        app_model_config_id: base.appModelConfigId,
      });
    }
  });

  it('fails only the call whose app config was replaced, and writes the rest of its batch', async () => {
    const settled = await startTogether('stale batch', 6, 2, {
      appModelConfigId: '00000000-0000-4000-8000-000000000001',
    });
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(StaleAppConfig);
    expect(statements[0]).toBe('apps.records.start-many');
    const written = await h.sql<{ query: string }>(
      `SELECT query FROM messages WHERE query LIKE 'stale batch %' ORDER BY query`,
    );
    expect(written.map((r) => r.query)).toEqual([
      'stale batch 0',
      'stale batch 1',
      'stale batch 3',
      'stale batch 4',
      'stale batch 5',
    ]);
  });

  it('fails only the call that breaks the batch (an unknown end user), each other call written on its own', async () => {
    const settled = await startTogether('fk batch', 5, 4, { endUserId: '00000000-0000-4000-8000-000000000002' });
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect((settled[4] as PromiseRejectedResult).reason).toMatchObject({ code: '23503' }); // foreign key
    expect(statements.filter((s) => s === 'apps.records.start-many')).toHaveLength(1);
    const written = await h.sql<{ n: string }>(`SELECT count(*) AS n FROM messages WHERE query LIKE 'fk batch %'`);
    expect(Number(written[0]!.n)).toBe(4);
  });

  it('writes next messages of several conversations together; a second message of one conversation and a vanished conversation go alone', async () => {
    const started = await Promise.all(
      [0, 1, 2].map((i) => createRecords(pool, { ...base, query: `thread ${i} first` })),
    );
    // One conversation is gone (deleted by the cascade of its row) before its next message is written.
    await h.sql(`DELETE FROM conversations WHERE id = '${started[2]!.conversationId}'`);
    statements.length = 0;
    const next = (at: number, query: string) =>
      createRecords(pool, {
        ...base,
        query,
        conversation: {
          id: started[at]!.conversationId,
          appModelConfigId: base.appModelConfigId,
          inputs: {},
          isNew: false,
          history: [],
        },
      });
    const settled = await Promise.allSettled([
      next(0, 'thread 0 second'),
      next(1, 'thread 1 second'),
      next(0, 'thread 0 third'),
      next(2, 'thread 2 second'),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect((settled[3] as PromiseRejectedResult).reason).toMatchObject({ status: 404, code: 'not_found' });
    // One statement for threads 0 and 1; thread 0's third message and the vanished thread 2 alone.
    expect(statements).toEqual(['apps.records.continue-many', 'apps.records.continue', 'apps.records.continue']);
    const rows = await h.sql<{ query: string; conversation_id: string; dialogue_count: number; at: string }>(
      `SELECT m.query, m.conversation_id, c.dialogue_count, m.created_at::text AS at
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.query LIKE 'thread % second' OR m.query LIKE 'thread % third' ORDER BY m.query`,
    );
    expect(rows.map((r) => [r.query, r.conversation_id, r.dialogue_count])).toEqual([
      ['thread 0 second', started[0]!.conversationId, 3],
      ['thread 0 third', started[0]!.conversationId, 3],
      ['thread 1 second', started[1]!.conversationId, 2],
    ]);
    // The two messages of one conversation keep distinct creation times (the order of its history).
    expect(rows[0]!.at).not.toBe(rows[1]!.at);
  });
});
