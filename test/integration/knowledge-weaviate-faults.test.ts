/**
 * The Weaviate store's faults and races over the real weaviate-client 3.12.1 and the in-memory
 * Weaviate stand-in (test/helpers/weaviate-stand-in.ts; no Weaviate server can be installed here):
 * a gRPC port refusing the key, vectors of another dimension, a collection dropped by another
 * process, a document larger than one batch delete. What a real Weaviate would do differently is
 * listed in knowledge-weaviate-grpc.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { WeaviateStore } from '../../src/knowledge/index.js';
import { collectionName } from '../../src/knowledge/stores/weaviate-config.js';
import { startWeaviateStandIn, type WeaviateStandIn } from '../helpers/weaviate-stand-in.js';
import { at, failure, KEY, spread, useSegmentDatabase } from './weaviate-fixtures.js';

const db = useSegmentDatabase();

/** A stand-in Weaviate and a store on it, both closed after `use`. */
async function onStandIn(use: (weaviate: WeaviateStandIn, store: WeaviateStore) => Promise<void>): Promise<void> {
  const weaviate = await startWeaviateStandIn({ apiKey: KEY });
  const store = new WeaviateStore(db.stack, {
    endpoint: weaviate.endpoint,
    apiKey: KEY,
    grpcEndpoint: weaviate.grpcEndpoint,
  });
  try {
    await use(weaviate, store);
  } finally {
    await store.close();
    await weaviate.close();
  }
}

describe('Weaviate store faults over gRPC (the real client, stand-in Weaviates)', () => {
  it('a gRPC endpoint refusing WEAVIATE_API_KEY is VECTOR.WEAVIATE_AUTH naming that port and WEAVIATE_GRPC_ENDPOINT, never the key', async () => {
    const rest = await startWeaviateStandIn({ apiKey: KEY });
    const other = await startWeaviateStandIn({ apiKey: 'another-key-4567' }); // WEAVIATE_GRPC_ENDPOINT points at another Weaviate
    const store = new WeaviateStore(db.stack, {
      endpoint: rest.endpoint,
      apiKey: KEY,
      grpcEndpoint: other.grpcEndpoint,
    });
    try {
      const datasetId = await db.dataset();
      const a = await db.document(datasetId, 1);
      const error = await failure(store.add(datasetId, [{ segmentId: a.segments[0]!.id, vector: at(0) }]));
      expect(error.code).toBe('VECTOR.WEAVIATE_AUTH');
      // The gRPC port refused the key REST accepted: the message names the port and its setting.
      expect(error.message).toContain(
        `Weaviate's gRPC port ${other.grpcEndpoint} refuses WEAVIATE_API_KEY (UNAUTHENTICATED`,
      );
      expect(error.message).toContain('WEAVIATE_GRPC_ENDPOINT');
      expect(error.message).not.toContain(KEY);
      expect(other.grpc.map((c) => [c.method, c.authorization])).toEqual([['BatchObjects', `Bearer ${KEY}`]]);
      const { rows } = await db.stack.query('SELECT status FROM document_segments WHERE id = $1', [a.segments[0]!.id]);
      expect(rows[0].status).toBe('indexing'); // not marked completed
    } finally {
      await store.close();
      await Promise.all([rest.close(), other.close()]);
    }
  });

  it("vectors of another dimension than the collection's are refused per object: add fails naming Weaviate's reason", async () => {
    await onStandIn(async (_weaviate, store) => {
      const datasetId = await db.dataset();
      const a = await db.document(datasetId, 3);
      await store.add(datasetId, [{ segmentId: a.segments[0]!.id, vector: at(0) }]);
      const error = await store
        .add(
          datasetId,
          a.segments.slice(1).map((s) => ({ segmentId: s.id, vector: at(10, 8) })),
        )
        .then(
          () => undefined,
          (e: unknown) => e as Error,
        );
      expect(error?.message).toMatch(/Weaviate rejected 2 object\(s\): new node has a vector with length 8/);
      const { rows } = await db.stack.query(
        `SELECT count(*)::int AS n FROM document_segments WHERE dataset_id = $1 AND status = 'completed'`,
        [datasetId],
      );
      expect(rows[0].n).toBe(1);
    });
  });

  it("a collection another process dropped (the api re-indexing on a new embedding model) is recreated by the worker's next add", async () => {
    const weaviate = await startWeaviateStandIn({ apiKey: KEY });
    const options = { endpoint: weaviate.endpoint, apiKey: KEY, grpcEndpoint: weaviate.grpcEndpoint };
    const worker = new WeaviateStore(db.stack, options);
    const api = new WeaviateStore(db.stack, options);
    try {
      const datasetId = await db.dataset();
      const a = await db.document(datasetId, 2);
      await worker.add(datasetId, [{ segmentId: a.segments[0]!.id, vector: at(0) }]);
      await api.deleteDataset(datasetId); // the dataset's embedding model changed: its vectors go
      await worker.add(
        datasetId,
        a.segments.map((s) => ({ segmentId: s.id, vector: at(10, 8) })),
      );
      const name = collectionName(datasetId);
      expect(weaviate.rest.filter((r) => r.method === 'POST').map((r) => r.url)).toEqual(['/v1/schema', '/v1/schema']);
      expect(weaviate.collections.get(name)?.config.vectorConfig).toMatchObject({
        default: { vectorizer: { none: {} }, vectorIndexType: 'hnsw', vectorIndexConfig: { distance: 'cosine' } },
      });
      expect(
        [...weaviate.collections.get(name)!.objects.values()].map((o) => o.vectors.get('default')?.length),
      ).toEqual([8, 8]);
      expect(await api.search(datasetId, at(10, 8), 2)).toHaveLength(2);
    } finally {
      await Promise.all([worker.close(), api.close()]);
      await weaviate.close();
    }
  });

  it("deleteDocument removes a document larger than what one batch delete removes (Weaviate's QUERY_MAXIMUM_RESULTS)", async () => {
    await onStandIn(async (weaviate, store) => {
      const datasetId = await db.dataset();
      const a = await db.document(datasetId, 7);
      const b = await db.document(datasetId, 1);
      await store.add(datasetId, spread([...a.segments, ...b.segments]));
      // 10,000 by default; 3 here stands for a document of more than 10,000 segments.
      weaviate.limits.maximumResults = 3;
      weaviate.grpc.length = 0;
      await store.deleteDocument(a.id);
      const objects = weaviate.collections.get(collectionName(datasetId))!.objects;
      expect([...objects.values()].map((o) => o.properties.document_id)).toEqual([b.id]);
      expect(weaviate.grpc.filter((c) => c.method === 'BatchDelete').length).toBeGreaterThanOrEqual(3);
    });
  });

  it('a collection deleted behind the store (another process, an operator) searches as empty, not as an error', async () => {
    await onStandIn(async (weaviate, store) => {
      const datasetId = await db.dataset();
      const a = await db.document(datasetId, 2);
      await store.add(datasetId, spread(a.segments));
      expect(await store.search(datasetId, at(0), 2)).toHaveLength(2);
      weaviate.collections.delete(collectionName(datasetId));
      expect(await store.search(datasetId, at(0), 2)).toEqual([]);
      await store.deleteDocument(a.id);
    });
  });
});
