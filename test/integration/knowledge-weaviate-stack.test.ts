/**
 * VECTOR_STORE=weaviate through the whole stack: the api server and the worker (each with its own
 * WeaviateStore, as separate processes) index, retrieve and delete over the unmodified
 * weaviate-client against test/helpers/weaviate-stand-in.ts — an in-memory stand-in for Weaviate's
 * REST and gRPC APIs, since no Weaviate server can be installed here. What a real Weaviate would do
 * differently (HNSW, auto-schema, error wording) is listed in knowledge-weaviate-grpc.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandIn, startStandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { startWeaviateStandIn, type WeaviateStandIn } from '../helpers/weaviate-stand-in.js';
import { json } from './apps-fixtures.js';
import { PARAGRAPHS, RULE, type StoreStack, startStoreStack } from './knowledge-store-stack.js';
import { type Harness, waitFor } from './apps-harness.js';
import { type TestRedis, useServers } from './server-fixtures.js';
import { searches } from './weaviate-fixtures.js';

const KEY = 'stack-weaviate-key';
let stackPg: TestPostgres;
let redis: TestRedis;
let llm: StandIn;
let weaviate: WeaviateStandIn;
let env: Record<string, string>;
useServers((servers) => ({ pg: stackPg, redis } = servers));
beforeAll(async () => {
  [llm, weaviate] = await Promise.all([startStandIn(), startWeaviateStandIn({ apiKey: KEY })]);
  env = {
    VECTOR_STORE: 'weaviate',
    WEAVIATE_ENDPOINT: weaviate.endpoint,
    WEAVIATE_API_KEY: KEY,
    WEAVIATE_GRPC_ENDPOINT: weaviate.grpcEndpoint,
  };
}, 60_000);
afterAll(async () => {
  await Promise.all([llm?.close(), weaviate?.close()]);
});

const collection = (datasetId: string) => `Vector_index_${datasetId.replaceAll('-', '_')}_Node`;

describe('VECTOR_STORE=weaviate: api and worker over the real client and a stand-in Weaviate', () => {
  let h: Harness;
  let stack: StoreStack;
  let datasetId: string;
  let documentId: string;
  const call: StoreStack['call'] = (method, url, payload) => stack.call(method, url, payload);
  const indexed = async (id: string) =>
    waitFor(
      async () => {
        const [row] = await h.sql<{ s: string; error: string | null }>(
          `SELECT indexing_status AS s, error FROM documents WHERE id = '${id}'`,
        );
        return row?.s === 'completed' || row?.s === 'error' ? row : undefined;
      },
      'the document to be indexed',
      30_000,
    );
  const semantic: StoreStack['semantic'] = (query, top_k) => stack.semantic(query, top_k);
  const objects = () => [...(weaviate.collections.get(collection(datasetId))?.objects.values() ?? [])];

  beforeAll(async () => {
    stack = await startStoreStack({ pg: stackPg, redis, llm, env: env, datasetName: 'Weaviate handbook' });
    ({ h, datasetId } = stack);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  it("indexes create-by-text into Dify's collection: one object per segment, id = index_node_id, vector `default`", async () => {
    expect(h.app.difyctx.vectors.kind).toBe('weaviate');
    const res = await call('POST', `/v1/datasets/${datasetId}/document/create-by-text`, {
      name: 'mixed',
      text: PARAGRAPHS.join('\n\n'),
      process_rule: RULE,
    });
    expect(res.statusCode, res.body).toBe(200);
    documentId = json(res).document.id;
    expect(await indexed(documentId)).toEqual({ s: 'completed', error: null });
    const segments = await h.sql<{ id: string; index_node_id: string; embedding: unknown }>(
      `SELECT id, index_node_id, embedding FROM document_segments WHERE document_id = '${documentId}'`,
    );
    expect(segments).toHaveLength(3);
    expect(segments.every((s) => s.embedding === null)).toBe(true); // the vectors are in Weaviate only
    for (const s of segments)
      expect(objects().find((o) => o.uuid === s.index_node_id)?.properties).toMatchObject({
        document_id: documentId,
        doc_id: s.index_node_id,
        segment_id: s.id,
        dataset_id: datasetId,
      });
    expect(
      objects()
        .map((o) => o.properties.text)
        .sort(),
    ).toEqual([...PARAGRAPHS].sort());
    const grpc = weaviate.grpc.filter((c) => c.method === 'BatchObjects');
    expect(grpc.length).toBeGreaterThan(0);
    expect(grpc.every((c) => c.authorization === `Bearer ${KEY}`)).toBe(true);
  });

  it('retrieve (semantic) finds the right segment first over gRPC Search; a disabled document drops out', async () => {
    const records = await semantic(PARAGRAPHS[1]!);
    expect(records[0]?.segment).toMatchObject({ content: PARAGRAPHS[1], document_id: documentId });
    expect(records[0]?.score).toBeCloseTo(1, 5);
    expect(records).toHaveLength(3);
    expect(records[1]!.score).toBeLessThan(records[0]!.score);
    const toggle = async (action: 'disable' | 'enable') =>
      expect(
        (await call('PATCH', `/v1/datasets/${datasetId}/documents/status/${action}`, { document_ids: [documentId] }))
          .statusCode,
      ).toBe(200);
    await toggle('disable');
    expect(await semantic(PARAGRAPHS[1]!)).toEqual([]);
    expect(objects()).toHaveLength(3); // the vectors stay
    await toggle('enable');
    expect((await semantic(PARAGRAPHS[1]!))[0]?.segment.content).toBe(PARAGRAPHS[1]);
  });

  it('a new embedding model: the api drops the collection, the worker (another store) recreates it and re-indexes', async () => {
    const remodel = await call('PATCH', `/v1/datasets/${datasetId}`, {
      embedding_model: 'text-embedding-3-large',
      embedding_model_provider: 'openai',
    });
    expect(remodel.statusCode, remodel.body).toBe(200);
    expect(await indexed(documentId)).toEqual({ s: 'completed', error: null });
    expect(weaviate.rest.filter((r) => r.method === 'POST' && r.url === '/v1/schema')).toHaveLength(2);
    expect(objects()).toHaveLength(3);
    expect((await semantic(PARAGRAPHS[2]!))[0]?.segment.content).toBe(PARAGRAPHS[2]);
  });

  it('deleting a segment through the Knowledge API removes its object', async () => {
    const before = objects().length;
    const kept = await stack.deleteFirstSegment(documentId);
    expect(kept).toHaveLength(before - 1);
    expect(
      objects()
        .map((o) => o.uuid)
        .sort(),
    ).toEqual(kept);
  });

  it("re-indexing with new text leaves only the new segments' objects: the document listed once, after the last batch", async () => {
    weaviate.grpc.length = 0;
    const res = await call('POST', `/v1/datasets/${datasetId}/documents/${documentId}/update-by-text`, {
      name: 'mixed',
      text: `${PARAGRAPHS[0]}\n\n${PARAGRAPHS[2]}`,
      process_rule: RULE,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await indexed(documentId)).toEqual({ s: 'completed', error: null });
    const segments = await h.sql<{ index_node_id: string }>(
      `SELECT index_node_id FROM document_segments WHERE document_id = '${documentId}'`,
    );
    expect(
      objects()
        .map((o) => o.uuid)
        .sort(),
    ).toEqual(segments.map((s) => s.index_node_id).sort());
    expect(
      objects()
        .map((o) => o.properties.text)
        .sort(),
    ).toEqual([PARAGRAPHS[0], PARAGRAPHS[2]].sort());
    const listings = searches(weaviate).filter((r) => r.filters);
    expect(listings).toHaveLength(1);
    expect(listings[0]?.filters?.valueText).toBe(documentId);
    expect(weaviate.grpc.filter((c) => c.method === 'BatchDelete')).toHaveLength(1);
  });

  it('deleting a document removes only its objects; deleting the dataset drops its collection', async () => {
    const other = await call('POST', `/v1/datasets/${datasetId}/document/create-by-text`, {
      name: 'lighthouse',
      text: PARAGRAPHS[1],
      process_rule: RULE,
    });
    const otherId: string = json(other).document.id;
    expect(await indexed(otherId)).toEqual({ s: 'completed', error: null });
    expect(objects()).toHaveLength(3);
    expect((await call('DELETE', `/v1/datasets/${datasetId}/documents/${documentId}`)).statusCode).toBe(204);
    await waitFor(
      async () => (objects().every((o) => o.properties.document_id === otherId) ? true : undefined),
      "the deleted document's objects to go",
      10_000,
    );
    expect(objects()).toHaveLength(1);
    expect((await semantic(PARAGRAPHS[0]!)).map((r) => r.segment.content)).toEqual([PARAGRAPHS[1]]);
    expect((await call('DELETE', `/v1/datasets/${datasetId}`)).statusCode).toBe(204);
    await waitFor(
      async () => (weaviate.collections.has(collection(datasetId)) ? undefined : true),
      'the collection to be dropped',
      10_000,
    );
  });
});
