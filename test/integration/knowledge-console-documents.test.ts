/**
 * The console's way to a knowledge document (Dify's web app): upload a file with `source=datasets`,
 * create documents naming the uploads (one batch for all), poll the batch's indexing status, then
 * hit-testing finds the text. Real PostgreSQL, Redis, the worker on the `dataset` queue, the
 * embedding stand-in; the default vector store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandIn, startStandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { json } from './apps-fixtures.js';
import { waitFor } from './apps-harness.js';
import { type StoreStack, startStoreStack } from './knowledge-store-stack.js';
import { type TestRedis, useServers } from './server-fixtures.js';

let stackPg: TestPostgres;
let redis: TestRedis;
useServers((servers) => ({ pg: stackPg, redis } = servers));

const BOUNDARY = '----console-documents-boundary';
const form = (name: string, content: string) =>
  Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    Buffer.from(content),
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);

describe('console: upload files, create documents, poll the batch, hit-test', () => {
  let llm: StandIn;
  let stack: StoreStack;
  const upload = (name: string, content: string, source = 'datasets') =>
    stack.h.app.inject({
      method: 'POST',
      url: `/console/api/files/upload?source=${source}`,
      headers: { ...stack.h.auth, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      payload: form(name, content),
    });
  const create = (fileIds: string[]) =>
    stack.h.app.inject({
      method: 'POST',
      url: `/console/api/datasets/${stack.datasetId}/documents`,
      headers: stack.h.auth,
      payload: {
        data_source: {
          type: 'upload_file',
          info_list: { data_source_type: 'upload_file', file_info_list: { file_ids: fileIds } },
        },
        indexing_technique: 'high_quality',
        process_rule: { mode: 'automatic' },
        doc_form: 'text_model',
        doc_language: 'English',
      },
    });

  let storage: string;
  beforeAll(async () => {
    llm = await startStandIn();
    // The api and the worker share the uploads' storage, as in a stack.
    storage = await mkdtemp(path.join(os.tmpdir(), 'difyctl-console-documents-'));
    const env = { OPENDAL_FS_ROOT: storage, STORAGE_LOCAL_PATH: storage };
    stack = await startStoreStack({ pg: stackPg, redis, llm, env, datasetName: 'Console handbook' });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await llm?.close();
    await rm(storage, { recursive: true, force: true });
  });

  it('two uploads become two documents of one batch, indexed, and hit-testing finds their text', async () => {
    const a = await upload('bread.txt', 'Sourdough bread rises slowly because wild yeast ferments the dough.');
    expect(a.statusCode, a.body).toBe(201);
    expect(json(a)).toMatchObject({
      name: 'bread.txt',
      extension: 'txt',
      size: 67,
      mime_type: 'application/octet-stream',
    });
    const b = await upload(
      'lighthouse.md',
      '# Lighthouse\n\nThe keeper climbs the spiral staircase to light the lamp.',
    );
    expect(b.statusCode, b.body).toBe(201);
    const res = await create([json(a).id, json(b).id]);
    expect(res.statusCode, res.body).toBe(200);
    const body = json(res);
    expect(body.dataset).toMatchObject({ id: stack.datasetId, indexing_technique: 'high_quality' });
    expect(body.documents.map((d: { name: string }) => d.name)).toEqual(['bread.txt', 'lighthouse.md']);
    const status = await waitFor(
      async () => {
        const s = json(
          await stack.h.app.inject({
            method: 'GET',
            url: `/console/api/datasets/${stack.datasetId}/batch/${body.batch}/indexing-status`,
            headers: stack.h.auth,
          }),
        ).data as Array<{ indexing_status: string }>;
        return s.every((d) => d.indexing_status === 'completed' || d.indexing_status === 'error') ? s : undefined;
      },
      'the batch to be indexed',
      30_000,
    );
    expect(status.map((d) => d.indexing_status)).toEqual(['completed', 'completed']);
    const hits = await stack.h.app.inject({
      method: 'POST',
      url: `/console/api/datasets/${stack.datasetId}/hit-testing`,
      headers: stack.h.auth,
      payload: {
        query: 'wild yeast ferments the dough',
        retrieval_model: { search_method: 'full_text_search', top_k: 2 },
      },
    });
    expect(hits.statusCode, hits.body).toBe(200);
    expect(json(hits).records[0].segment.content).toContain('wild yeast');
  });

  it('refuses what a document cannot be made of: another type (415), an unknown upload (404), another source (400)', async () => {
    expect(json(await upload('photo.png', 'not a document'))).toMatchObject({
      code: 'unsupported_file_type',
      status: 415,
    });
    expect(json(await create(['0b8f5a52-9d55-4d3e-8a53-3c1f27f1b0aa']))).toMatchObject({
      code: 'file_not_found',
      status: 404,
    });
    expect((await upload('notes.txt', 'text', 'app')).statusCode).toBe(400);
    const bad = await stack.h.app.inject({
      method: 'POST',
      url: `/console/api/datasets/${stack.datasetId}/documents`,
      headers: stack.h.auth,
      payload: { data_source: { type: 'notion_import', info_list: {} } },
    });
    expect(json(bad)).toMatchObject({ status: 400 });
  });
});
