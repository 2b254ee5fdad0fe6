import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isDifyctlError } from '../../src/errors/index.js';
import { PgvectorStore } from '../../src/knowledge/index.js';
import { silentLogger } from '../../src/server/logger.js';
import { startWorker } from '../../src/server/worker/run-worker.js';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import { startPgvector, type TestPgvector } from '../helpers/pglite-pgvector.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { json } from './apps-fixtures.js';
import { PARAGRAPHS, RULE, type StoreStack, startStoreStack } from './knowledge-store-stack.js';
import { startHarness, waitFor, type Harness } from './apps-harness.js';
import { migratedDatabase, serverEnv, settingsFor, useServers, type TestRedis } from './server-fixtures.js';

let stackPg: TestPostgres;
let redis: TestRedis;
let llm: StandIn;
let pgv: TestPgvector;
let vdb: pg.Client;
useServers((servers) => ({ pg: stackPg, redis } = servers));
beforeAll(async () => {
  [llm, pgv] = await Promise.all([startStandIn(), startPgvector()]);
  vdb = new pg.Client({ connectionString: pgv.url });
  vdb.on('error', () => {});
  await vdb.connect();
}, 90_000);
afterAll(async () => {
  await vdb?.end().catch(() => {});
  await Promise.all([llm?.close(), pgv?.stop()]);
});

const table = (datasetId: string) => `embedding_vector_index_${datasetId.replaceAll('-', '_')}_node`.slice(0, 63);
const vsql = async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
  (await vdb.query<R>(text, values)).rows;

describe('VECTOR_STORE=pgvector on the real pgvector (PGlite over the wire protocol)', () => {
  let h: Harness;
  let stack: StoreStack;
  let datasetId: string;
  let documentId: string;
  const call: StoreStack['call'] = (method, url, payload) => stack.call(method, url, payload);
  const indexed = async (batch: string) =>
    waitFor(
      async () => {
        const s = json(await call('GET', `/v1/datasets/${datasetId}/documents/${batch}/indexing-status`)).data[0];
        return s.indexing_status === 'completed' || s.indexing_status === 'error' ? s : undefined;
      },
      'the document to be indexed',
      30_000,
    );
  const semantic: StoreStack['semantic'] = (query, top_k) => stack.semantic(query, top_k);

  beforeAll(async () => {
    stack = await startStoreStack({ pg: stackPg, redis, llm, env: pgv.env, datasetName: 'Pgvector handbook' });
    ({ h, datasetId } = stack);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('the server and worker use the pgvector store', () => {
    expect(h.app.difyctx.vectors.kind).toBe('pgvector');
  });

  it("indexes create-by-text into Dify's table layout (id, text, meta, vector(N), HNSW cosine index), not the stack's column", async () => {
    const res = await call('POST', `/v1/datasets/${datasetId}/document/create-by-text`, {
      name: 'mixed',
      text: PARAGRAPHS.join('\n\n'),
      process_rule: RULE,
    });
    expect(res.statusCode, res.body).toBe(200);
    documentId = json(res).document.id;
    expect(await indexed(json(res).batch)).toMatchObject({
      indexing_status: 'completed',
      error: null,
      total_segments: 3,
    });
    const columns = await vsql<{ column_name: string; type: string }>(
      `SELECT a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
       WHERE a.attrelid = $1::regclass AND a.attnum > 0 ORDER BY a.attnum`,
      [table(datasetId)],
    );
    expect(columns.map((c) => [c.column_name, c.type.replace(/\(\d+\)/, '(N)')])).toEqual([
      ['id', 'uuid'],
      ['text', 'text'],
      ['meta', 'jsonb'],
      ['embedding', 'vector(N)'],
    ]);
    const indexes = await vsql<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE tablename = $1', [
      table(datasetId),
    ]);
    expect(indexes.some((i) => /USING hnsw \(embedding vector_cosine_ops\)/.test(i.indexdef))).toBe(true);
    const rows = await vsql<{ text: string; meta: Record<string, string> }>(
      `SELECT text, meta FROM ${table(datasetId)} ORDER BY text`,
    );
    expect(rows.map((r) => r.text)).toEqual([...PARAGRAPHS].sort());
    const segments = await h.sql<{ id: string; index_node_id: string; embedding: unknown }>(
      `SELECT id, index_node_id, embedding FROM document_segments WHERE document_id = '${documentId}'`,
    );
    for (const r of rows) {
      const segment = segments.find((s) => s.id === r.meta.segment_id);
      expect(r.meta).toMatchObject({ document_id: documentId, dataset_id: datasetId, doc_id: segment?.index_node_id });
    }
    expect(segments.every((s) => s.embedding === null)).toBe(true);
  });

  it('retrieve (semantic) finds the right segment first, score = 1 − cosine distance', async () => {
    const records = await semantic(PARAGRAPHS[1]!);
    expect(records[0]?.segment).toMatchObject({ content: PARAGRAPHS[1], document_id: documentId });
    expect(records[0]?.score).toBeCloseTo(1, 5);
    expect(records.length).toBe(3);
    expect(records[1]!.score).toBeLessThan(records[0]!.score);
  });

  it('a disabled document drops out of retrieval without touching its vectors, and returns when enabled', async () => {
    const toggle = async (action: 'disable' | 'enable') =>
      expect(
        (await call('PATCH', `/v1/datasets/${datasetId}/documents/status/${action}`, { document_ids: [documentId] }))
          .statusCode,
      ).toBe(200);
    await toggle('disable');
    expect(await semantic(PARAGRAPHS[1]!)).toEqual([]);
    await toggle('enable');
    expect((await semantic(PARAGRAPHS[1]!))[0]?.segment.content).toBe(PARAGRAPHS[1]);
  });

  it('re-indexing with new text leaves only the new segments’ rows (no orphans, no duplicates)', async () => {
    const res = await call('POST', `/v1/datasets/${datasetId}/documents/${documentId}/update-by-text`, {
      name: 'mixed',
      text: `${PARAGRAPHS[0]}\n\n${PARAGRAPHS[2]}`,
      process_rule: RULE,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await indexed(json(res).batch)).toMatchObject({ indexing_status: 'completed' });
    const rows = await vsql<{ text: string }>(`SELECT text FROM ${table(datasetId)} ORDER BY text`);
    expect(rows.map((r) => r.text)).toEqual([PARAGRAPHS[0], PARAGRAPHS[2]].sort());
  });

  it("deleting a segment through the Knowledge API removes its row from the dataset's table", async () => {
    const kept = await stack.deleteFirstSegment(documentId);
    const ids = (await vsql<{ id: string }>(`SELECT id::text FROM ${table(datasetId)}`)).map((r) => r.id).sort();
    expect(ids).toEqual(kept);
  });

  it('deleting the document removes its rows; deleting the dataset drops its table', async () => {
    const other = await call('POST', `/v1/datasets/${datasetId}/document/create-by-text`, {
      name: 'lighthouse',
      text: PARAGRAPHS[1],
      process_rule: RULE,
    });
    expect(await indexed(json(other).batch)).toMatchObject({ indexing_status: 'completed' });
    expect((await call('DELETE', `/v1/datasets/${datasetId}/documents/${documentId}`)).statusCode).toBe(204);
    const left = await vsql<{ document_id: string }>(
      `SELECT meta->>'document_id' AS document_id FROM ${table(datasetId)}`,
    );
    expect(left).toEqual([{ document_id: json(other).document.id }]);
    expect((await semantic(PARAGRAPHS[0]!)).map((r) => r.segment.content)).toEqual([PARAGRAPHS[1]]);
    expect((await call('DELETE', `/v1/datasets/${datasetId}`)).statusCode).toBe(204);
    expect(await vsql('SELECT 1 FROM pg_class WHERE relname = $1', [table(datasetId)])).toEqual([]);
  });
});

describe('PgvectorStore on a PostgreSQL without pgvector (Debian 15)', () => {
  it('fails with VECTOR.PGVECTOR_MISSING, naming the server and the fix', async () => {
    const stack = new pg.Pool({ connectionString: stackPg.url, max: 1 });
    const store = new PgvectorStore(stack, {
      host: stackPg.host,
      port: stackPg.port,
      user: stackPg.user,
      password: stackPg.password,
      database: stackPg.database,
    });
    try {
      for (const attempt of [
        () => store.search('0b8f5a52-9d55-4d3e-8a53-3c1f27f1b0aa', [1, 0], 3),
        () => store.deleteDataset('0b8f5a52-9d55-4d3e-8a53-3c1f27f1b0aa'),
      ]) {
        const error = await attempt().catch((e: unknown) => e);
        expect(isDifyctlError(error) && error.code).toBe('VECTOR.PGVECTOR_MISSING');
        const message = (error as Error).message;
        expect(message).toContain(`${stackPg.host}:${stackPg.port}/${stackPg.database}`);
        expect(message).toMatch(/Install pgvector/);
        expect(message).toContain('VECTOR_STORE=postgres');
        expect(message).not.toContain(stackPg.password);
      }
    } finally {
      await store.close();
      await stack.end();
    }
  });
  it("indexing through the worker records that error, with its fix, as the document's error", async () => {
    const noPgvector = {
      VECTOR_STORE: 'pgvector',
      PGVECTOR_HOST: stackPg.host,
      PGVECTOR_PORT: String(stackPg.port),
      PGVECTOR_USER: stackPg.user,
      PGVECTOR_PASSWORD: stackPg.password,
      PGVECTOR_DATABASE: stackPg.database,
    };
    const h = await startHarness({ pg: stackPg, redis, llm, env: noPgvector });
    const worker = await startWorker({
      server: settingsFor(serverEnv({ db: h.db, redis, extra: noPgvector })),
      queues: ['dataset'],
      logger: silentLogger(),
      runtime: h.app.difyctx.modelRuntime,
      retry: { attempts: 1, backoffMs: 20 },
    });
    try {
      const key = json(
        await h.app.inject({ method: 'POST', url: '/console/api/datasets/api-keys', headers: h.auth }),
      ).token;
      const call = (url: string, payload: object) =>
        h.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload });
      const dataset = json(
        await call('/v1/datasets', {
          name: 'No pgvector here',
          indexing_technique: 'high_quality',
          embedding_model: 'text-embedding-3-small',
          embedding_model_provider: 'openai',
        }),
      );
      const created = json(
        await call(`/v1/datasets/${dataset.id}/document/create-by-text`, { name: 'one', text: PARAGRAPHS[0] }),
      );
      const row = await waitFor(
        async () =>
          (
            await h.sql<{ indexing_status: string; error: string | null }>(
              `SELECT indexing_status, error FROM documents WHERE id = '${created.document.id}'`,
            )
          ).find((r) => r.indexing_status === 'error'),
        'the document to fail',
        30_000,
      );
      expect(row.error).toMatch(/pgvector extension is not installed on .*Install pgvector.*VECTOR_STORE=postgres/);
    } finally {
      await worker.stop(5000);
      await h.close();
    }
  });
});

describe('PgvectorStore on a one-connection pgvector (PGlite serving a single client)', () => {
  it('a first add creates the table without losing its only connection; search and delete on a missing table answer', async () => {
    const single = await startPgvector({ maxConnections: 1 });
    const db = await migratedDatabase(stackPg);
    const stack = new pg.Pool({ ...db, max: 2 });
    const store = new PgvectorStore(stack, {
      host: single.host,
      port: single.port,
      password: 'postgres',
      maxConnections: 1,
    });
    try {
      const one = async (text: string, values: unknown[] = []) =>
        (await stack.query(text, values)).rows[0].id as string;
      const tenantId = await one(`INSERT INTO tenants (name) VALUES ('t') RETURNING id`);
      const datasetId = await one(`INSERT INTO datasets (tenant_id, name) VALUES ($1, 'd') RETURNING id`, [tenantId]);
      const documentId = await one(
        `INSERT INTO documents (tenant_id, dataset_id, name, indexing_status) VALUES ($1, $2, 'doc', 'completed') RETURNING id`,
        [tenantId, datasetId],
      );
      const segmentId = await one(
        `INSERT INTO document_segments (tenant_id, dataset_id, document_id, position, content, status, index_node_id)
         VALUES ($1, $2, $3, 1, 'alpha', 'indexing', gen_random_uuid()::text) RETURNING id`,
        [tenantId, datasetId, documentId],
      );
      expect(await store.search(datasetId, [1, 0, 0], 3)).toEqual([]);
      await store.deleteDocument(documentId);
      await store.add(datasetId, [{ segmentId, vector: [1, 0, 0] }]);
      const hits = await store.search(datasetId, [1, 0.1, 0], 3);
      expect(hits.map((h) => h.segmentId)).toEqual([segmentId]);
      expect(hits[0]!.score).toBeCloseTo(1 / Math.sqrt(1.01), 5);
      await store.deleteDocument(documentId);
      expect(await store.search(datasetId, [1, 0, 0], 3)).toEqual([]);
    } finally {
      await store.close();
      await stack.end();
      await single.stop();
    }
  }, 90_000);
});

describe('PgvectorStore re-index cleanup: once per (re-)index, not per add', () => {
  it('indexing a 100-segment document in batches of 32, then as 40 segments: one read of its segments and one DELETE per index; the stale rows are gone', async () => {
    const db = await migratedDatabase(stackPg);
    const pool = new pg.Pool({ ...db, max: 2 });
    // The reads of a document's segments (the stale-vector check) are counted on the stack's pool.
    let documentReads = 0;
    const stack = new Proxy(pool, {
      get(target, key) {
        if (key === 'query')
          return (text: string, values?: unknown[]) => {
            if (/FROM document_segments WHERE document_id = \$1/.test(text)) documentReads++;
            return target.query(text, values);
          };
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const store = new PgvectorStore(stack, { host: pgv.host, port: pgv.port, password: 'postgres' });
    const vectorQueries = vi.spyOn(store['pool'], 'query'); // the store's own pool on the pgvector server
    const deletes = () =>
      vectorQueries.mock.calls.filter(([text]) => typeof text === 'string' && text.startsWith('DELETE')).length;
    try {
      const one = async (text: string, values: unknown[] = []) => (await pool.query(text, values)).rows[0].id as string;
      const tenantId = await one(`INSERT INTO tenants (name) VALUES ('t') RETURNING id`);
      const datasetId = await one(`INSERT INTO datasets (tenant_id, name) VALUES ($1, 'd') RETURNING id`, [tenantId]);
      const documentId = await one(
        `INSERT INTO documents (tenant_id, dataset_id, name, indexing_status) VALUES ($1, $2, 'doc', 'indexing') RETURNING id`,
        [tenantId, datasetId],
      );
      /** As indexDocument's replaceSegments: the document's rows replaced by `count` new ones. */
      const resegment = async (count: number) => {
        await pool.query('DELETE FROM document_segments WHERE document_id = $1', [documentId]);
        const { rows } = await pool.query<{ id: string; node: string }>(
          `INSERT INTO document_segments (tenant_id, dataset_id, document_id, position, content, status, index_node_id)
           SELECT $1, $2, $3, n, 'segment ' || n, 'indexing', gen_random_uuid()::text FROM generate_series(1, $4::int) AS n
           RETURNING id, index_node_id AS node`,
          [tenantId, datasetId, documentId, count],
        );
        return rows;
      };
      /** What indexDocument asks of the store: one add per batch of 32, then dropDeleted once. */
      const index = async (segments: Array<{ id: string }>) => {
        documentReads = 0;
        vectorQueries.mockClear();
        for (let i = 0; i < segments.length; i += 32)
          await store.add(
            datasetId,
            segments.slice(i, i + 32).map((s, n) => ({ segmentId: s.id, vector: [1, (i + n) / 100, 0] })),
          );
        await store.dropDeleted(datasetId, documentId);
      };
      await index(await resegment(100));
      // Before: each of the 4 adds read the document's segments and ran a DELETE on its rows.
      expect({ documentReads, deletes: deletes() }).toEqual({ documentReads: 1, deletes: 0 });
      const fresh = await resegment(40);
      await index(fresh);
      expect({ documentReads, deletes: deletes() }).toEqual({ documentReads: 1, deletes: 1 });
      const rows = await vsql<{ id: string }>(`SELECT id::text FROM ${table(datasetId)}`);
      expect(rows.map((r) => r.id).sort()).toEqual(fresh.map((s) => s.node).sort());

      // A segment deleted through the API: its row goes by its node id, the document is not read.
      await pool.query('DELETE FROM document_segments WHERE id = $1', [fresh[0]!.id]);
      documentReads = 0;
      vectorQueries.mockClear();
      await store.dropDeleted(datasetId, documentId, [fresh[0]!.node]);
      expect({ documentReads, deletes: deletes() }).toEqual({ documentReads: 0, deletes: 1 });
      expect(await vsql(`SELECT 1 FROM ${table(datasetId)}`)).toHaveLength(39);
      await store.deleteDataset(datasetId);
    } finally {
      await store.close();
      await pool.end();
    }
  }, 90_000);
});
