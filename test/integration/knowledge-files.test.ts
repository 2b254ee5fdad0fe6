import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWorker } from '../../src/server/worker/run-worker.js';
import { docx, pdf } from '../helpers/document-files.js';
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

describe('Knowledge API: documents from files (create-by-file)', () => {
  let h: Harness;
  let worker: RunningWorker;
  let headers: { authorization: string };
  let datasetId: string;

  beforeAll(async () => {
    llm = await startStandIn();
    h = await startHarness({ pg, redis, llm });
    worker = await startFileWorker(h, redis);
    headers = {
      authorization: `Bearer ${json(await h.app.inject({ method: 'POST', url: '/console/api/datasets/api-keys', headers: h.auth })).token}`,
    };
    datasetId = json(
      await h.app.inject({
        method: 'POST',
        url: '/v1/datasets',
        headers,
        payload: {
          name: 'Files',
          indexing_technique: 'high_quality',
          embedding_model: 'text-embedding-3-small',
          embedding_model_provider: 'openai',
        },
      }),
    ).id;
  }, 60_000);
  afterAll(async () => {
    await worker?.stop(5000);
    await h?.close();
    await llm?.close();
  });

  const upload = (
    file: { name: string; type: string; content: Buffer },
    data: object = {
      indexing_technique: 'high_quality',
      process_rule: {
        mode: 'custom',
        rules: { pre_processing_rules: [], segmentation: { separator: '\n\n', max_tokens: 100 } },
      },
    },
  ) => {
    const form = fileForm(file, data);
    return h.app.inject({
      method: 'POST',
      url: `/v1/datasets/${datasetId}/document/create-by-file`,
      headers: { ...headers, ...form.headers },
      payload: form.payload,
    });
  };
  const indexed = async (batch: string) =>
    waitFor(
      async () => {
        const s = json(
          await h.app.inject({
            method: 'GET',
            url: `/v1/datasets/${datasetId}/documents/${batch}/indexing-status`,
            headers,
          }),
        ).data[0];
        return ['completed', 'error'].includes(s.indexing_status) ? s : undefined;
      },
      'indexing',
      20_000,
    );
  const retrieveFirst = async (query: string) =>
    json(
      await h.app.inject({
        method: 'POST',
        url: `/v1/datasets/${datasetId}/retrieve`,
        headers,
        payload: { query, retrieval_model: { search_method: 'full_text_search', top_k: 1 } },
      }),
    ).records[0]?.segment;

  it('indexes a .docx through mammoth and a .csv as `column: value` rows; retrieval finds their segments', async () => {
    const word = await upload({
      name: 'policy.docx',
      type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      content: await docx(['Remote work is allowed on Mondays.', 'Badges must be worn inside the warehouse.']),
    });
    expect(word.statusCode, word.body).toBe(200);
    expect(json(word).document).toMatchObject({
      name: 'policy.docx',
      data_source_type: 'upload_file',
      indexing_status: 'waiting',
    });
    expect(json(word).document.data_source_info.upload_file_id).toEqual(expect.any(String));
    expect(await indexed(json(word).batch)).toMatchObject({ indexing_status: 'completed', total_segments: 2 });
    expect(await retrieveFirst('warehouse badges')).toMatchObject({
      content: 'Badges must be worn inside the warehouse.',
      document: { name: 'policy.docx' },
    });
    const csv = await upload(
      { name: 'rooms.csv', type: 'text/csv', content: Buffer.from('room,floor\nAtlas,4\nZephyr,7\n') },
      { indexing_technique: 'high_quality' },
    );
    expect(await indexed(json(csv).batch)).toMatchObject({ indexing_status: 'completed' });
    expect((await retrieveFirst('zephyr'))?.content).toContain('room: Zephyr; floor: 7');
  });

  it('indexes a .pdf page by page through pdf.js; an encrypted or damaged one is an indexing error naming the file', async () => {
    const report = await upload({
      name: 'handbook.pdf',
      type: 'application/pdf',
      content: pdf([['Parking permits are renewed every January.'], ['The cafeteria closes at 3 pm on Fridays.']]),
    });
    expect(report.statusCode, report.body).toBe(200);
    expect(await indexed(json(report).batch)).toMatchObject({ indexing_status: 'completed', total_segments: 2 });
    expect(await retrieveFirst('cafeteria fridays')).toMatchObject({
      content: 'The cafeteria closes at 3 pm on Fridays.',
      document: { name: 'handbook.pdf' },
    });
    for (const [name, content, reason] of [
      ['locked.pdf', pdf([['Salaries']], { encrypted: true }), /^locked\.pdf: the PDF is encrypted with a password/],
      ['torn.pdf', Buffer.from('%PDF-1.4\n1 0 obj <<'), /^torn\.pdf: not a valid PDF/],
    ] as const) {
      const res = await upload({ name, type: 'application/pdf', content });
      expect(res.statusCode, res.body).toBe(200);
      const status = await indexed(json(res).batch);
      expect(status, name).toMatchObject({ indexing_status: 'error', total_segments: 0 });
      expect(status.error, name).toMatch(reason);
      expect(status.stopped_at).toEqual(expect.any(Number));
    }
  });

  it('the console sees the same datasets, documents, indexing status and hit testing for the signed-in workspace', async () => {
    const list = json(await h.app.inject({ method: 'GET', url: '/console/api/datasets', headers: h.auth }));
    expect(list.data.map((d: { id: string }) => d.id)).toContain(datasetId);
    const docs = json(
      await h.app.inject({ method: 'GET', url: `/console/api/datasets/${datasetId}/documents`, headers: h.auth }),
    );
    const policy = docs.data.find((d: { name: string }) => d.name === 'policy.docx');
    expect(policy).toMatchObject({ indexing_status: 'completed', display_status: 'available' });
    const [{ batch }] = await h.sql<{ batch: string }>(`SELECT batch FROM documents WHERE id = '${policy.id}'`);
    expect(
      json(
        await h.app.inject({
          method: 'GET',
          url: `/console/api/datasets/${datasetId}/batch/${batch}/indexing-status`,
          headers: h.auth,
        }),
      ).data[0],
    ).toMatchObject({ id: policy.id, indexing_status: 'completed' });
    const hits = json(
      await h.app.inject({
        method: 'POST',
        url: `/console/api/datasets/${datasetId}/hit-testing`,
        headers: h.auth,
        payload: { query: 'remote work mondays', retrieval_model: { search_method: 'hybrid_search', top_k: 1 } },
      }),
    );
    expect(hits.records[0].segment.content).toBe('Remote work is allowed on Mondays.');
    const created = await h.app.inject({
      method: 'POST',
      url: '/console/api/datasets',
      headers: h.auth,
      payload: { name: 'From the console' },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(json(created)).toMatchObject({
      name: 'From the console',
      indexing_technique: null,
      created_by: expect.any(String),
    });
    expect(
      (await h.app.inject({ method: 'DELETE', url: `/console/api/datasets/${json(created).id}`, headers: h.auth }))
        .statusCode,
    ).toBe(204);
    expect((await h.app.inject({ method: 'GET', url: `/console/api/datasets/${datasetId}`, headers })).statusCode).toBe(
      401,
    );
  });

  it("records a provider's refusal while embedding on the document (error status and Dify's message), without segments left searchable", async () => {
    llm.failNext(401, {
      message: 'Incorrect API key provided',
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    });
    const res = await upload({
      name: 'secret.txt',
      type: 'text/plain',
      content: Buffer.from('Vault code is kept by the night guard.'),
    });
    const status = await indexed(json(res).batch);
    expect(status).toMatchObject({ indexing_status: 'error', completed_segments: 0, total_segments: 1 });
    expect(status.error).toMatch(/^\[openai\] /);
    expect(status.stopped_at).toEqual(expect.any(Number));
    expect(await retrieveFirst('vault night guard')).toBeUndefined();
  });

  it('answers 415 for a type without a parser, 400 without a file, and records a broken .docx as an indexing error', async () => {
    const slides = await upload({ name: 'deck.pptx', type: 'application/octet-stream', content: Buffer.from('PK') });
    expect(slides.statusCode).toBe(415);
    expect(json(slides)).toMatchObject({ code: 'unsupported_file_type', status: 415 });
    const none = await h.app.inject({
      method: 'POST',
      url: `/v1/datasets/${datasetId}/document/create_by_file`,
      headers,
      payload: {},
    });
    expect(json(none)).toMatchObject({ code: 'no_file_uploaded', status: 400 });
    const broken = await upload({
      name: 'broken.docx',
      type: 'application/octet-stream',
      content: Buffer.from('not a zip'),
    });
    expect(broken.statusCode).toBe(200);
    const status = await indexed(json(broken).batch);
    expect(status.indexing_status).toBe('error');
    expect(status.error).toMatch(/broken\.docx: not a readable DOCX file/);
  });
});
