import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWorker } from '../../src/server/worker/run-worker.js';
import { docx } from '../helpers/document-files.js';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { json } from './apps-fixtures.js';
import { startHarness, waitFor, type Harness } from './apps-harness.js';
import { fileForm, startFileWorker } from './knowledge-fixtures.js';
import { useServers, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let redis: TestRedis;
let llm: StandIn;
useServers((servers) => ({ pg, redis } = servers));

const FIRST = 'Cats are small carnivorous mammals that people keep as pets.';
const ADDED = 'Glaciers carve deep valleys as they creep down the mountain slopes.';
const CHANGED = 'Volcanoes erupt molten rock that cools into dark basalt islands.';

describe('Knowledge API: segments CRUD and update-by-file (default store, worker on the dataset queue)', () => {
  let h: Harness;
  let worker: RunningWorker;
  let key: string;
  let datasetId: string;
  let documentId: string;
  let segmentId: string;
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    h.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
  const base = () => `/v1/datasets/${datasetId}/documents/${documentId}/segments`;
  const found = async (query: string, search_method: string) =>
    json(
      await call('POST', `/v1/datasets/${datasetId}/retrieve`, {
        query,
        retrieval_model: { search_method, top_k: 5 },
      }),
    ).records.map((r: { segment: { content: string } }) => r.segment.content) as string[];
  const indexed = (batch: string) =>
    waitFor(
      async () => {
        const s = json(await call('GET', `/v1/datasets/${datasetId}/documents/${batch}/indexing-status`)).data[0];
        return ['completed', 'error'].includes(s.indexing_status) ? s : undefined;
      },
      'indexing',
      20_000,
    );

  beforeAll(async () => {
    llm = await startStandIn();
    h = await startHarness({ pg, redis, llm, env: { UPLOAD_FILE_SIZE_LIMIT: '1' } });
    worker = await startFileWorker(h, redis);
    key = json(await h.app.inject({ method: 'POST', url: '/console/api/datasets/api-keys', headers: h.auth })).token;
    datasetId = json(
      await call('POST', '/v1/datasets', {
        name: 'Segments',
        indexing_technique: 'high_quality',
        embedding_model: 'text-embedding-3-small',
        embedding_model_provider: 'openai',
      }),
    ).id;
    const created = json(
      await call('POST', `/v1/datasets/${datasetId}/document/create-by-text`, { name: 'notes', text: FIRST }),
    );
    documentId = created.document.id;
    expect((await indexed(created.batch)).indexing_status).toBe('completed');
  }, 60_000);
  afterAll(async () => {
    await worker?.stop(5000);
    await h?.close();
    await llm?.close();
  });

  it('creates segments at the end of a document, embedded and searchable at once', async () => {
    const res = await call('POST', base(), { segments: [{ content: ADDED, keywords: ['glacier'] }] });
    expect(res.statusCode, res.body).toBe(200);
    const { data, doc_form } = json(res);
    expect(doc_form).toBe('text_model');
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({
      content: ADDED,
      position: 2,
      status: 'completed',
      enabled: true,
      keywords: ['glacier'],
    });
    segmentId = data[0].id;
    expect((await found(ADDED, 'semantic_search'))[0]).toBe(ADDED);
    expect(await found('glacier', 'keyword_search')).toEqual([ADDED]);
    expect(json(await call('GET', `${base()}/${segmentId}`))).toMatchObject({
      data: { id: segmentId, content: ADDED },
    });
    expect(json(await call('GET', base())).total).toBe(2);
    expect(json(await call('POST', base(), { segments: [] }))).toMatchObject({ code: 'invalid_param', status: 400 });
    expect(json(await call('POST', base(), { segments: [{ content: ' ' }] }))).toMatchObject({
      code: 'invalid_param',
      message: 'segments[0].content: Content is empty',
    });
  });

  it('updating content replaces its vector; enabled false takes it out of retrieval until enabled again', async () => {
    const res = await call('POST', `${base()}/${segmentId}`, { segment: { content: CHANGED } });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res).data).toMatchObject({
      id: segmentId,
      content: CHANGED,
      status: 'completed',
      word_count: CHANGED.length,
    });
    expect((await found(CHANGED, 'semantic_search'))[0]).toBe(CHANGED);
    expect(await found('glaciers valleys', 'full_text_search')).toEqual([]);
    await call('POST', `${base()}/${segmentId}`, { segment: { enabled: false } });
    expect(await found(CHANGED, 'semantic_search')).not.toContain(CHANGED);
    expect(await found('volcanoes basalt', 'full_text_search')).toEqual([]);
    await call('POST', `${base()}/${segmentId}`, { segment: { enabled: true } });
    expect((await found(CHANGED, 'semantic_search'))[0]).toBe(CHANGED);
  });

  it('deleting a segment removes its row and vector (204); it is then not found', async () => {
    expect((await call('DELETE', `${base()}/${segmentId}`)).statusCode).toBe(204);
    expect(await h.sql(`SELECT 1 FROM document_segments WHERE id = '${segmentId}'`)).toEqual([]);
    expect(await found(CHANGED, 'semantic_search')).not.toContain(CHANGED);
    expect(json(await call('GET', `${base()}/${segmentId}`))).toMatchObject({
      code: 'not_found',
      message: 'Segment not found.',
      status: 404,
    });
    expect(json(await call('GET', `/v1/datasets/${datasetId}/documents`)).data[0].word_count).toBe(FIRST.length);
    expect(json(await call('GET', `/v1/datasets/${datasetId}/documents/${documentId}`))).toMatchObject({
      id: documentId,
      word_count: FIRST.length,
      display_status: 'available',
    });
  });

  it('update-by-file (and update_by_file) re-indexes the document from the new file; an unknown type is 415', async () => {
    const form = fileForm(
      { name: 'notes.docx', content: await docx(['Lighthouses guide ships past the rocks at night.']) },
      {
        process_rule: { mode: 'automatic' },
      },
    );
    const headers = { authorization: `Bearer ${key}`, ...form.headers };
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/datasets/${datasetId}/documents/${documentId}/update-by-file`,
      headers,
      payload: form.payload,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res).document).toMatchObject({ id: documentId, name: 'notes.docx', indexing_status: 'waiting' });
    expect((await indexed(json(res).batch)).indexing_status).toBe('completed');
    expect(await found('lighthouses ships rocks', 'full_text_search')).toEqual([
      'Lighthouses guide ships past the rocks at night.',
    ]);
    expect(await found('cats pets', 'full_text_search')).toEqual([]);
    const slides = await h.app.inject({
      method: 'POST',
      url: `/v1/datasets/${datasetId}/documents/${documentId}/update_by_file`,
      headers,
      payload: fileForm({ name: 'deck.pptx', content: Buffer.from('PK') }, {}).payload,
    });
    expect(json(slides)).toMatchObject({ code: 'unsupported_file_type', status: 415 });
    const files = async () => (await h.sql<{ n: string }>('SELECT count(*) AS n FROM upload_files'))[0]!.n;
    const stored = await files();
    await call('PATCH', `/v1/datasets/${datasetId}/documents/status/disable`, { document_ids: [documentId] });
    const refused = await h.app.inject({
      method: 'POST',
      url: `/v1/datasets/${datasetId}/documents/${documentId}/update-by-file`,
      headers,
      payload: fileForm({ name: 'again.txt', content: Buffer.from('Some text.') }, {}).payload,
    });
    expect(json(refused)).toMatchObject({ code: 'invalid_param', message: 'Document is not available', status: 400 });
    expect(await files()).toBe(stored);
    await call('PATCH', `/v1/datasets/${datasetId}/documents/status/enable`, { document_ids: [documentId] });
  });

  it("hybrid search scores each segment with the request's weights: vector_weight × semantic + the rest × full text", async () => {
    const harbour = 'Ships anchor in the harbour at dawn.';
    expect((await call('POST', base(), { segments: [{ content: harbour }] })).statusCode).toBe(200);
    const scores = async (retrieval_model: object) =>
      Object.fromEntries(
        json(
          await call('POST', `/v1/datasets/${datasetId}/retrieve`, { query: 'lighthouses ships', retrieval_model }),
        ).records.map((r: { segment: { content: string }; score: number }) => [r.segment.content, r.score]),
      ) as Record<string, number>;
    const semantic = await scores({ search_method: 'semantic_search', top_k: 10 });
    const text = await scores({ search_method: 'full_text_search', top_k: 10 });
    expect(Object.keys(text).sort()).toEqual(['Lighthouses guide ships past the rocks at night.', harbour].sort());
    for (const weight of [0, 0.3, 1]) {
      const hybrid = await scores({
        search_method: 'hybrid_search',
        top_k: 10,
        weights: { vector_setting: { vector_weight: weight }, keyword_setting: { keyword_weight: 1 - weight } },
      });
      for (const [content, score] of Object.entries(hybrid))
        expect(score, `${content} at ${weight}`).toBeCloseTo(
          weight * (semantic[content] ?? 0) + (1 - weight) * (text[content] ?? 0),
          6,
        );
    }
    const best = Math.max(...Object.values(text));
    const above = await scores({
      search_method: 'hybrid_search',
      top_k: 10,
      weights: { vector_setting: { vector_weight: 0 } },
      score_threshold_enabled: true,
      score_threshold: best,
    });
    expect(Object.values(above)).toEqual([best]);
  });

  it('a file over UPLOAD_FILE_SIZE_LIMIT (1 MB here) is 413 file_too_large, on create-by-file and update-by-file', async () => {
    const big = { name: 'big.txt', content: Buffer.alloc(1024 * 1024 + 1, 'a') };
    for (const url of [
      `/v1/datasets/${datasetId}/document/create-by-file`,
      `/v1/datasets/${datasetId}/documents/${documentId}/update-by-file`,
    ]) {
      const form = fileForm(big, { indexing_technique: 'high_quality' });
      const res = await h.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${key}`, ...form.headers },
        payload: form.payload,
      });
      expect(res.statusCode, url).toBe(413);
      expect(json(res)).toMatchObject({ code: 'file_too_large', status: 413 });
    }
    expect(json(await call('GET', `/v1/datasets/${datasetId}/documents`)).total).toBe(1);
  });

  it('the console renames the dataset, disables and enables documents in a batch, and lists their segments', async () => {
    const consoleCall = (method: 'GET' | 'PATCH', url: string, payload?: object) =>
      h.app.inject({
        method,
        url: `/console/api/datasets/${datasetId}${url}`,
        headers: h.auth,
        ...(payload ? { payload } : {}),
      });
    const renamed = await consoleCall('PATCH', '', { name: 'Segments 2', retrieval_model: { top_k: 2 } });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(json(renamed)).toMatchObject({ name: 'Segments 2', retrieval_model_dict: { top_k: 2 } });
    const lighthouse = 'Lighthouses guide ships past the rocks at night.';
    const status = (action: string) =>
      consoleCall('PATCH', `/documents/status/${action}/batch?document_id=${documentId}&document_id=${documentId}`);
    expect(json(await status('disable'))).toEqual({ result: 'success' });
    expect(await found(lighthouse, 'semantic_search')).toEqual([]);
    expect(json(await status('enable'))).toEqual({ result: 'success' });
    expect((await found(lighthouse, 'semantic_search'))[0]).toBe(lighthouse);
    expect(json(await consoleCall('PATCH', '/documents/status/enable/batch'))).toMatchObject({ code: 'invalid_param' });
    const segments = json(await consoleCall('GET', `/documents/${documentId}/segments?keyword=lighthouses`));
    expect(segments).toMatchObject({ total: 1, doc_form: 'text_model' });
    expect(segments.data[0].content).toBe(lighthouse);
  });

  it('indexing embeds in batches of 32, and a transient provider failure (503) is retried by the queue until the document completes once', async () => {
    const paragraphs = Array.from({ length: 40 }, (_, n) => `Paragraph number ${n + 1} talks about topic ${n + 1}.`);
    llm.failNext(503, { message: 'overloaded', type: 'server_error' });
    const res = json(
      await call('POST', `/v1/datasets/${datasetId}/document/create-by-text`, {
        name: 'forty',
        text: paragraphs.join('\n\n'),
        process_rule: {
          mode: 'custom',
          rules: { pre_processing_rules: [], segmentation: { separator: '\\n\\n', max_tokens: 100 } },
        },
      }),
    );
    let failed: string | undefined;
    // The failed attempt is recorded as `error` until the retry (after the queue's backoff) completes it.
    const status = await waitFor(
      async () => {
        const s = json(await call('GET', `/v1/datasets/${datasetId}/documents/${res.batch}/indexing-status`)).data[0];
        if (s.indexing_status === 'error') failed = s.error;
        return s.indexing_status === 'completed' ? s : undefined;
      },
      'the retried document to complete',
      30_000,
    );
    expect(status).toMatchObject({
      indexing_status: 'completed',
      error: null,
      completed_segments: 40,
      total_segments: 40,
    });
    // This document's embedding requests: aimock's journal joins a request's inputs into one `embeddingInput`.
    const batches = llm
      .requests()
      .map((r) => String((r.body as { embeddingInput?: unknown } | undefined)?.embeddingInput ?? ''))
      .filter((input) => input.startsWith('Paragraph number'))
      .map((input) => input.match(/Paragraph number/g)!.length);
    expect(failed).toMatch(/^\[openai\] Server Unavailable Error/);
    // The first batch refused (503), then the retry's two batches.
    expect(batches).toEqual([32, 32, 8]);
    expect(
      (
        await h.sql<{ n: string }>(
          `SELECT count(*) AS n FROM document_segments WHERE document_id = '${res.document.id}'`,
        )
      )[0]!.n,
    ).toBe('40');
  });
});
