import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_INDEXING_TASK, indexDocument, PostgresVectorStore } from '../../src/knowledge/index.js';
import type { SegmentVector, VectorStore } from '../../src/knowledge/vector-store.js';
import { silentLogger } from '../../src/server/logger.js';
import { startWorker, type RunningWorker } from '../../src/server/worker/run-worker.js';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { json } from './apps-fixtures.js';
import { startHarness, waitFor, type Harness } from './apps-harness.js';
import { serverEnv, settingsFor, useServers, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let redis: TestRedis;
let llm: StandIn;
useServers((servers) => ({ pg, redis } = servers));
beforeAll(async () => {
  llm = await startStandIn();
});
afterAll(async () => {
  await llm?.close();
});

const PARAGRAPHS = [
  'Cats are small carnivorous mammals that people keep as pets. They sleep for most of the day.',
  'The lighthouse keeper climbs the spiral staircase every evening to light the lamp for passing ships.',
  'Sourdough bread rises slowly because wild yeast ferments the dough over many hours.',
];

describe.each([
  ['with Redis (BullMQ)', true],
  ['without Redis (pg-boss)', false],
])('Knowledge API %s: dataset → document → worker indexing → retrieval', (_name, withRedis) => {
  let h: Harness;
  let worker: RunningWorker;
  let key: string;
  let datasetId: string;
  let documentId: string;
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, token = key) =>
    h.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    h = await startHarness({ pg, redis: withRedis ? redis : undefined, llm });
    worker = await startWorker({
      server: settingsFor(serverEnv({ db: h.db, redis: withRedis ? redis : undefined })),
      queues: ['dataset'],
      logger: silentLogger(),
      runtime: h.app.difyctx.modelRuntime,
      retry: { attempts: 2, backoffMs: 20 },
      pollingIntervalSeconds: 0.5,
    });
  });
  afterAll(async () => {
    await worker?.stop(5000);
    await h?.close();
  });

  it('creates a workspace knowledge key (dataset- + 24 characters) that app routes do not take, nor app keys these', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/console/api/datasets/api-keys', headers: h.auth });
    expect(res.statusCode).toBe(200);
    key = json(res).token;
    expect(key).toMatch(/^dataset-[A-Za-z0-9]{24}$/);
    expect(
      json(await h.app.inject({ method: 'GET', url: '/console/api/datasets/api-keys', headers: h.auth })).data,
    ).toHaveLength(1);
    expect((await call('GET', '/v1/datasets', undefined, h.chat.key)).statusCode).toBe(401);
    expect((await call('GET', '/v1/info')).statusCode).toBe(401);
    expect(json(await call('GET', '/v1/datasets', undefined, 'dataset-000000000000000000000000'))).toMatchObject({
      code: 'unauthorized',
      status: 401,
    });
  });

  it('creates a dataset, refuses a duplicate name (409) and lists it', async () => {
    const res = await call('POST', '/v1/datasets', {
      name: 'Handbook',
      indexing_technique: 'high_quality',
      embedding_model: 'text-embedding-3-small',
      embedding_model_provider: 'openai',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res)).toMatchObject({
      name: 'Handbook',
      indexing_technique: 'high_quality',
      embedding_model_provider: 'openai',
      document_count: 0,
      permission: 'only_me',
    });
    datasetId = json(res).id;
    const dup = await call('POST', '/v1/datasets', { name: 'Handbook' });
    expect(dup.statusCode).toBe(409);
    expect(json(dup)).toMatchObject({ code: 'dataset_name_duplicate', status: 409 });
    expect(json(await call('POST', '/v1/datasets', { name: '' }))).toMatchObject({
      code: 'invalid_param',
      message: 'name: Name must be between 1 to 40 characters.',
    });
    const list = json(await call('GET', '/v1/datasets?page=1&limit=20'));
    expect(list).toMatchObject({ total: 1, page: 1, limit: 20, has_more: false });
    expect(list.data[0].id).toBe(datasetId);
    expect(json(await call('GET', `/v1/datasets/${datasetId}`)).name).toBe('Handbook');
    expect(json(await call('GET', '/v1/datasets/00000000-0000-4000-8000-000000000000'))).toMatchObject({
      code: 'not_found',
      message: 'Dataset not found.',
      status: 404,
    });
  });

  it('indexes a text document in the worker through every stage to completed, one segment per paragraph', async () => {
    const res = await call('POST', `/v1/datasets/${datasetId}/document/create-by-text`, {
      name: 'animals-and-lighthouses',
      text: PARAGRAPHS.join('\n\n'),
      process_rule: {
        mode: 'custom',
        rules: {
          pre_processing_rules: [{ id: 'remove_extra_spaces', enabled: true }],
          segmentation: { separator: '\\n\\n', max_tokens: 200, chunk_overlap: 0 },
        },
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const { document, batch } = json(res);
    expect(document).toMatchObject({
      name: 'animals-and-lighthouses',
      indexing_status: 'waiting',
      display_status: 'queuing',
      created_from: 'api',
    });
    expect(batch).toMatch(/^\d{20}$/);
    documentId = document.id;
    const status = await waitFor(
      async () => {
        const s = json(await call('GET', `/v1/datasets/${datasetId}/documents/${batch}/indexing-status`)).data[0];
        return s.indexing_status === 'completed' || s.indexing_status === 'error' ? s : undefined;
      },
      'the document to be indexed',
      20_000,
    );
    expect(status).toMatchObject({
      id: documentId,
      indexing_status: 'completed',
      error: null,
      completed_segments: 3,
      total_segments: 3,
    });
    for (const stamp of [
      'processing_started_at',
      'parsing_completed_at',
      'cleaning_completed_at',
      'splitting_completed_at',
      'completed_at',
    ])
      expect(status[stamp], stamp).toEqual(expect.any(Number));
    const segments = await h.sql<{ content: string; dims: number }>(
      `SELECT content, array_length(embedding, 1) AS dims FROM document_segments WHERE document_id = '${documentId}' ORDER BY position`,
    );
    expect(segments.map((s) => s.content)).toEqual(PARAGRAPHS);
    expect(segments.every((s) => s.dims > 0)).toBe(true);
    expect(llm.requests().some((r) => r.path === '/v1/embeddings')).toBe(true);
    const docs = json(await call('GET', `/v1/datasets/${datasetId}/documents`));
    expect(docs).toMatchObject({ total: 1, page: 1 });
    expect(docs.data[0]).toMatchObject({
      id: documentId,
      indexing_status: 'completed',
      display_status: 'available',
      word_count: PARAGRAPHS.join('').length,
    });
  });

  it('retrieves the right segment first by semantic, full-text and hybrid search (and the hit-testing alias)', async () => {
    for (const [url, search_method, query] of [
      ['retrieve', 'semantic_search', PARAGRAPHS[1]],
      ['hit-testing', 'semantic', PARAGRAPHS[1]],
      ['retrieve', 'full_text_search', 'lighthouse keeper'],
      ['retrieve', 'hybrid_search', PARAGRAPHS[1]],
    ] as const) {
      const res = await call('POST', `/v1/datasets/${datasetId}/${url}`, {
        query,
        retrieval_model: { search_method, top_k: 2, reranking_enable: false, score_threshold_enabled: false },
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = json(res);
      expect(body.query).toEqual({ content: query });
      expect(body.records.length, search_method).toBeGreaterThan(0);
      expect(body.records.length).toBeLessThanOrEqual(2);
      expect(body.records[0].segment, search_method).toMatchObject({
        content: PARAGRAPHS[1],
        document_id: documentId,
        document: { id: documentId, name: 'animals-and-lighthouses' },
      });
      expect(body.records[0].score).toBeGreaterThan(0);
    }
    const semantic = json(
      await call('POST', `/v1/datasets/${datasetId}/retrieve`, {
        query: PARAGRAPHS[1],
        retrieval_model: { search_method: 'semantic_search', top_k: 3 },
      }),
    );
    expect(semantic.records[0].score).toBeCloseTo(1, 5);
    const strict = json(
      await call('POST', `/v1/datasets/${datasetId}/retrieve`, {
        query: PARAGRAPHS[1],
        retrieval_model: {
          search_method: 'semantic_search',
          top_k: 3,
          score_threshold_enabled: true,
          score_threshold: 0.999,
        },
      }),
    );
    expect(strict.records).toHaveLength(1);
    expect(
      json(
        await call('POST', `/v1/datasets/${datasetId}/retrieve`, {
          query: 'x',
          retrieval_model: { search_method: 'magic' },
        }),
      ),
    ).toMatchObject({ code: 'invalid_param', status: 400 });
    expect(json(await call('POST', `/v1/datasets/${datasetId}/retrieve`, { query: 'x'.repeat(251) }))).toMatchObject({
      code: 'invalid_param',
      status: 400,
    });
  });

  it("keyword search matches the segments' extracted keywords (Dify's keyword table), not every word as full text does", async () => {
    const search = async (search_method: string, query: string) =>
      json(
        await call('POST', `/v1/datasets/${datasetId}/retrieve`, {
          query,
          retrieval_model: { search_method, top_k: 3 },
        }),
      ).records as Array<{ score: number; segment: { content: string; keywords: string[] } }>;
    const [first, ...rest] = await search('keyword_search', 'Where is the lighthouse keeper?');
    expect(first?.segment.content).toBe(PARAGRAPHS[1]);
    expect(first?.score).toBe(1);
    expect(rest).toEqual([]);
    // Ten keywords per segment, in reading order on a tie; "ships" is the eleventh term.
    expect(first?.segment.keywords).toEqual([
      'lighthouse',
      'keeper',
      'climbs',
      'spiral',
      'staircase',
      'every',
      'evening',
      'light',
      'lamp',
      'passing',
    ]);
    expect(await search('keyword_search', 'ships')).toEqual([]);
    expect((await search('full_text_search', 'ships'))[0]?.segment.content).toBe(PARAGRAPHS[1]);
    // Stopwords are no keywords; the score is the share of the query's keywords a segment holds.
    expect(await search('keyword', 'the of and')).toEqual([]);
    const partial = await search('keyword', 'sourdough lighthouse zebra');
    expect(partial.map((r) => [r.segment.content, r.score])).toEqual([
      [PARAGRAPHS[1], 1 / 3],
      [PARAGRAPHS[2], 1 / 3],
    ]);
  });

  it('another api process (its own pool and vector cache) finds a document indexed after it cached the dataset', async () => {
    const other = await h.second();
    const semantic = (query: string) =>
      other.inject({
        method: 'POST',
        url: `/v1/datasets/${datasetId}/retrieve`,
        headers: { authorization: `Bearer ${key}` },
        payload: { query, retrieval_model: { search_method: 'semantic_search', top_k: 1 } },
      });
    expect(json(await semantic(PARAGRAPHS[0]!)).records[0].segment.content).toBe(PARAGRAPHS[0]);
    const added = json(
      await call('POST', `/v1/datasets/${datasetId}/document/create-by-text`, {
        name: 'late',
        text: 'Owls hunt at night using silent feathers.',
      }),
    );
    await waitFor(
      async () =>
        json(await call('GET', `/v1/datasets/${datasetId}/documents/${added.batch}/indexing-status`)).data[0]
          .indexing_status === 'completed',
      'the late document',
      20_000,
    );
    expect(json(await semantic('Owls hunt at night using silent feathers.')).records[0].segment).toMatchObject({
      content: 'Owls hunt at night using silent feathers.',
      document_id: added.document.id,
    });
    expect((await call('DELETE', `/v1/datasets/${datasetId}/documents/${added.document.id}`)).statusCode).toBe(204);
    expect(json(await semantic('Owls hunt at night using silent feathers.')).records[0].segment.document_id).toBe(
      documentId,
    );
  });

  it('re-indexing the same document never duplicates its segments', async () => {
    const deps = {
      pool: h.app.difyctx.pool,
      runtime: h.app.difyctx.modelRuntime,
      store: new PostgresVectorStore(h.app.difyctx.pool),
    };
    expect(await indexDocument(deps, documentId)).toBe('completed');
    const [{ at }] = await h.sql<{ at: string }>(
      `SELECT completed_at::text AS at FROM documents WHERE id = '${documentId}'`,
    );
    await h.app.difyctx.queue.enqueue('dataset', DOCUMENT_INDEXING_TASK, {
      dataset_id: datasetId,
      document_ids: [documentId],
    });
    // The worker's run has finished once the document is completed again, later than the direct run.
    await waitFor(
      async () =>
        (
          await h.sql<{ n: string }>(
            `SELECT count(*) AS n FROM documents WHERE id = '${documentId}' AND indexing_status = 'completed' AND completed_at > '${at}'::timestamptz`,
          )
        )[0]!.n === '1',
      'the re-index',
    );
    const rows = await h.sql<{ n: string; positions: string }>(
      `SELECT count(*) AS n, count(DISTINCT position) AS positions FROM document_segments WHERE document_id = '${documentId}'`,
    );
    expect(rows[0]).toEqual({ n: '3', positions: '3' });
  });

  it("indexDocument asks the store for the re-index's stale vectors once, after its last batch, and once when a batch fails", async () => {
    const base = new PostgresVectorStore(h.app.difyctx.pool);
    const calls: string[] = [];
    const store: VectorStore = Object.assign(Object.create(base) as PostgresVectorStore, {
      add: async (datasetId: string, vectors: SegmentVector[]) => {
        calls.push(`add ${vectors.length}`);
        await base.add(datasetId, vectors);
      },
      dropDeleted: async (_datasetId: string, id: string, nodes?: string[]) => {
        calls.push(`dropDeleted ${id === documentId ? 'doc' : id}${nodes ? ' with nodes' : ''}`);
        await base.dropDeleted();
      },
    });
    const runtime = h.app.difyctx.modelRuntime;
    expect(await indexDocument({ pool: h.app.difyctx.pool, runtime, store }, documentId)).toBe('completed');
    expect(calls).toEqual(['add 3', 'dropDeleted doc']);
    calls.length = 0;
    const refusing = new Proxy(runtime, {
      get(target, key) {
        if (key === 'embed') return async () => Promise.reject(new Error('embedding refused'));
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    expect(await indexDocument({ pool: h.app.difyctx.pool, runtime: refusing, store }, documentId)).toBe('error');
    expect(calls).toEqual(['dropDeleted doc']);
    calls.length = 0;
    expect(await indexDocument({ pool: h.app.difyctx.pool, runtime, store }, documentId)).toBe('completed');
    expect(calls).toEqual(['add 3', 'dropDeleted doc']);
  });

  it('update-by-text re-indexes the document in its batch: new segments replace the old ones, listed by the segments route', async () => {
    const res = await call('POST', `/v1/datasets/${datasetId}/documents/${documentId}/update-by-text`, {
      name: 'animals-and-lighthouses',
      text: `${PARAGRAPHS[1]}\n\nTea is brewed with water just off the boil.`,
    });
    expect(res.statusCode, res.body).toBe(200);
    const { batch, document } = json(res);
    expect(document).toMatchObject({ id: documentId, indexing_status: 'waiting' });
    await waitFor(
      async () =>
        json(await call('GET', `/v1/datasets/${datasetId}/documents/${batch}/indexing-status`)).data[0]
          .indexing_status === 'completed',
      'the update to be indexed',
      20_000,
    );
    const segments = json(await call('GET', `/v1/datasets/${datasetId}/documents/${documentId}/segments`));
    expect(segments).toMatchObject({ total: 2, page: 1, doc_form: 'text_model' });
    expect(segments.data.map((s: { content: string; position: number }) => [s.position, s.content])).toEqual([
      [1, PARAGRAPHS[1]],
      [2, 'Tea is brewed with water just off the boil.'],
    ]);
    expect(
      json(
        await call('POST', `/v1/datasets/${datasetId}/retrieve`, {
          query: 'sourdough yeast',
          retrieval_model: { search_method: 'full_text_search' },
        }),
      ).records,
    ).toEqual([]);
    expect(
      json(await call('GET', `/v1/datasets/${datasetId}/documents/${documentId}/segments?keyword=tea`)).total,
    ).toBe(1);
  });

  it('PATCH changes name and retrieval model; a new embedding model re-indexes the documents', async () => {
    const renamed = await call('PATCH', `/v1/datasets/${datasetId}`, {
      name: 'Handbook 2',
      retrieval_model: { search_method: 'full_text_search', top_k: 1 },
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(json(renamed)).toMatchObject({
      name: 'Handbook 2',
      retrieval_model_dict: { search_method: 'full_text_search', top_k: 1 },
    });
    expect(
      json(await call('POST', `/v1/datasets/${datasetId}/retrieve`, { query: 'tea water boil' })).records.map(
        (r: { segment: { content: string } }) => r.segment.content,
      ),
    ).toEqual(['Tea is brewed with water just off the boil.']);
    const other = json(await call('POST', '/v1/datasets', { name: 'Other' })).id as string;
    expect(json(await call('PATCH', `/v1/datasets/${other}`, { name: 'Handbook 2' }))).toMatchObject({
      code: 'dataset_name_duplicate',
      status: 409,
    });
    const remodel = json(
      await call('PATCH', `/v1/datasets/${datasetId}`, {
        embedding_model: 'text-embedding-3-large',
        embedding_model_provider: 'openai',
      }),
    );
    expect(remodel.embedding_model).toBe('text-embedding-3-large');
    await waitFor(
      async () =>
        (
          await h.sql<{ n: string }>(
            `SELECT count(*) AS n FROM document_segments WHERE document_id = '${documentId}' AND embedding IS NOT NULL AND status = 'completed'`,
          )
        )[0]!.n === '2' &&
        (await h.sql<{ s: string }>(`SELECT indexing_status AS s FROM documents WHERE id = '${documentId}'`))[0]!.s ===
          'completed',
      'the re-index with the new model',
      20_000,
    );
    expect(
      llm
        .requests()
        .filter((r) => r.path === '/v1/embeddings')
        .some((r) => (r.body as { model?: string }).model === 'text-embedding-3-large'),
    ).toBe(true);
    expect((await call('DELETE', `/v1/datasets/${other}`)).statusCode).toBe(204);
  });

  it('disabling or archiving a document takes its segments out of retrieval until it is enabled again', async () => {
    const search = async (search_method: string) =>
      json(
        await call('POST', `/v1/datasets/${datasetId}/retrieve`, {
          query: PARAGRAPHS[1],
          retrieval_model: { search_method, top_k: 3 },
        }),
      ).records.length;
    expect(await search('semantic_search')).toBeGreaterThan(0);
    for (const [off, on] of [
      ['disable', 'enable'],
      ['archive', 'un_archive'],
    ]) {
      expect(
        json(await call('PATCH', `/v1/datasets/${datasetId}/documents/status/${off}`, { document_ids: [documentId] })),
      ).toEqual({ result: 'success' });
      expect([await search('semantic_search'), await search('full_text_search')]).toEqual([0, 0]);
      await call('PATCH', `/v1/datasets/${datasetId}/documents/status/${on}`, { document_ids: [documentId] });
      expect(await search('semantic_search')).toBeGreaterThan(0);
    }
    expect(
      json(await call('PATCH', `/v1/datasets/${datasetId}/documents/status/explode`, { document_ids: [documentId] })),
    ).toMatchObject({ code: 'invalid_action', status: 400 });
    expect(
      json(
        await call('PATCH', `/v1/datasets/${datasetId}/documents/status/enable`, {
          document_ids: ['00000000-0000-4000-8000-000000000000'],
        }),
      ),
    ).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('deleting the document removes its segments and vectors; deleting the dataset removes it', async () => {
    const res = await call('DELETE', `/v1/datasets/${datasetId}/documents/${documentId}`);
    expect(res.statusCode).toBe(204);
    expect(await h.sql(`SELECT 1 FROM document_segments WHERE document_id = '${documentId}'`)).toEqual([]);
    const after = json(await call('POST', `/v1/datasets/${datasetId}/retrieve`, { query: PARAGRAPHS[1] }));
    expect(after.records).toEqual([]);
    expect(json(await call('DELETE', `/v1/datasets/${datasetId}/documents/${documentId}`))).toMatchObject({
      code: 'not_found',
      status: 404,
    });
    expect((await call('DELETE', `/v1/datasets/${datasetId}`)).statusCode).toBe(204);
    expect(await h.sql(`SELECT 1 FROM datasets WHERE id = '${datasetId}'`)).toEqual([]);
  });
});
