/**
 * VECTOR_STORE=weaviate end to end through the unmodified weaviate-client 3.12.1, over its REST and
 * gRPC protocols, against test/helpers/weaviate-stand-in.ts: no Weaviate server can be installed here,
 * so an in-memory stand-in on loopback answers what the client sends (REST /v1/meta and /v1/schema;
 * gRPC BatchObjects, Search, BatchDelete) in the shapes of Weaviate's protos, encoded by the client's
 * own generated code. The segment rows are in a real PostgreSQL (the stack's database).
 *
 * What stays untested against a real Weaviate: its HNSW index (the stand-in searches exactly), its
 * float32 distance arithmetic (compared to 6 decimals here), auto-schema, replication/consistency,
 * the exact wording of its errors, and versions' behaviour beyond the two encodings tried (1.27,
 * where nearVector sends vectorBytes, and 1.32, where it sends the `vectors` field).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeaviateStore } from '../../src/knowledge/index.js';
import { collectionName } from '../../src/knowledge/stores/weaviate-config.js';
import { startWeaviateStandIn, type WeaviateStandIn } from '../helpers/weaviate-stand-in.js';
import { cosineDistance, floats, OP } from '../helpers/weaviate-stand-in-grpc.js';
import { at, f32, KEY, type Segment, searches, spread, useSegmentDatabase } from './weaviate-fixtures.js';

const db = useSegmentDatabase();

describe.each(['1.27.0', '1.32.0'])(
  'Weaviate store over the real client and a stand-in Weaviate %s (REST + gRPC)',
  (version) => {
    let weaviate: WeaviateStandIn;
    let store: WeaviateStore;
    beforeAll(async () => {
      weaviate = await startWeaviateStandIn({ apiKey: KEY, version });
      store = new WeaviateStore(db.stack, {
        endpoint: weaviate.endpoint,
        apiKey: KEY,
        grpcEndpoint: weaviate.grpcEndpoint,
        inFlight: 4,
      });
    });
    afterAll(async () => {
      await store?.close();
      await weaviate?.close();
    });

    it("add: BatchObjects carries Dify's properties and the `default` vector; the key and client version reach gRPC metadata", async () => {
      const datasetId = await db.dataset();
      const a = await db.document(datasetId, 3);
      const b = await db.document(datasetId, 3, true);
      const vectors = [...a.segments, ...b.segments].map((s, i) => ({ segmentId: s.id, vector: at(i * 15) }));
      await store.add(datasetId, vectors);

      const name = collectionName(datasetId);
      const objects = weaviate.collections.get(name)?.objects;
      expect(objects?.size).toBe(6);
      for (const [i, s] of [...a.segments, ...b.segments].entries()) {
        const o = objects?.get(s.node);
        expect(o?.properties).toEqual({
          text: `segment ${(i % 3) + 1}`,
          document_id: i < 3 ? a.id : b.id,
          doc_id: s.node,
          doc_hash: '',
          dataset_id: datasetId,
          segment_id: s.id,
        });
        expect(o?.vectors.get('default')).toEqual(f32(vectors[i]!.vector));
      }
      const { rows } = await db.stack.query(
        `SELECT count(*)::int AS n FROM document_segments WHERE dataset_id = $1 AND status = 'completed'`,
        [datasetId],
      );
      expect(rows[0].n).toBe(6);
      // One BatchObjects per object (4 in flight at a time), nothing else: an add lists no document
      // (a re-index's stale objects go once, after its last batch: dropDeleted).
      expect(weaviate.grpc.map((c) => c.method)).toEqual(Array(6).fill('BatchObjects'));
      for (const call of weaviate.grpc) {
        expect(call.authorization).toBe(`Bearer ${KEY}`);
        expect(call.client).toMatch(/^weaviate-client-typescript\/3\.12\./);
      }
      expect(weaviate.rest.map((r) => `${r.method} ${r.url}`)).toEqual([
        'GET /v1/meta',
        'GET /v1/schema',
        'POST /v1/schema',
      ]);
    });

    it('search: nearVector on `default`, hits in cosine order with score = 1 − distance, mapped back to segments', async () => {
      const datasetId = await db.dataset();
      const a = await db.document(datasetId, 3);
      const b = await db.document(datasetId, 2, true);
      const segments = [...a.segments, ...b.segments];
      const angles = [80, 10, 45, 170, 30]; // nearest to the query (0°): 10°, 30°, 45°, 80°, 170°
      await store.add(
        datasetId,
        segments.map((s, i) => ({ segmentId: s.id, vector: at(angles[i]!) })),
      );
      weaviate.grpc.length = 0;
      const hits = await store.search(datasetId, at(0), 3);
      const expected = [1, 4, 2].map((i) => ({
        segmentId: segments[i]!.id,
        score: 1 - cosineDistance(f32(at(0)), f32(at(angles[i]!))),
      }));
      expect(hits.map((h) => h.segmentId)).toEqual(expected.map((h) => h.segmentId));
      for (const [i, h] of hits.entries()) expect(h.score).toBeCloseTo(expected[i]!.score, 6);
      expect(hits[0]!.score).toBeCloseTo(Math.cos((10 * Math.PI) / 180), 6);

      const [request] = searches(weaviate);
      expect(request).toMatchObject({
        collection: collectionName(datasetId),
        limit: 23, // max(topK × 4, topK + 20): room for disabled segments
        metadata: { uuid: true, distance: true },
        properties: { nonRefProperties: ['segment_id'], returnAllNonrefProperties: false },
        uses127Api: true,
      });
      expect(request?.filters).toBeUndefined();
      const near = request!.nearVector!;
      // Weaviate < 1.29 gets the vector as bytes, ≥ 1.29 in `vectors`; the target is the named vector.
      expect(near.targets?.targetVectors).toEqual(['default']);
      const sent = version === '1.27.0' ? near.vectorBytes : near.vectors[0]!.vectorBytes;
      expect(floats(sent)).toEqual(f32(at(0)));
      expect(await store.search(datasetId, at(0), 10)).toHaveLength(5);
    });

    it('a disabled segment or document drops out; the store asks Weaviate for more when they took the places', async () => {
      const datasetId = await db.dataset();
      const near = await db.document(datasetId, 30); // all nearer the query than `far`
      const far = await db.document(datasetId, 1, true);
      await store.add(datasetId, [
        ...near.segments.map((s, i) => ({ segmentId: s.id, vector: at(i) })),
        { segmentId: far.segments[0]!.id, vector: at(90) },
      ]);
      await db.stack.query('UPDATE document_segments SET enabled = false WHERE id = $1', [near.segments[0]!.id]);
      expect((await store.search(datasetId, at(0), 1)).map((h) => h.segmentId)).toEqual([near.segments[1]!.id]);

      await db.stack.query('UPDATE documents SET enabled = false WHERE id = $1', [near.id]);
      weaviate.grpc.length = 0;
      const hits = await store.search(datasetId, at(0), 1);
      expect(hits.map((h) => h.segmentId)).toEqual([far.segments[0]!.id]);
      expect(hits[0]!.score).toBeCloseTo(0, 6);
      // 21 nearest were all disabled: a second Search with a larger limit found the enabled one.
      expect(searches(weaviate).map((r) => r.limit)).toEqual([21, 84]);
      await db.stack.query('UPDATE documents SET enabled = true WHERE id = $1', [near.id]);
    });

    /** The document's segments replaced as indexDocument's replaceSegments does: the old rows go, `count` new ones come. */
    const resegment = async (datasetId: string, documentId: string, count: number): Promise<Segment[]> => {
      await db.stack.query('DELETE FROM document_segments WHERE document_id = $1', [documentId]);
      const { rows } = await db.stack.query<Segment>(
        `INSERT INTO document_segments (tenant_id, dataset_id, document_id, position, content, status, index_node_id)
         SELECT $1, $2, $3, n, 'segment ' || n, 'indexing', gen_random_uuid()::text FROM generate_series(1, $4::int) AS n
         RETURNING id, index_node_id AS node`,
        [db.tenantId, datasetId, documentId, count],
      );
      return rows;
    };
    /** What indexDocument asks of the store: one add per 32-segment batch, then dropDeleted once. */
    const index = async (datasetId: string, documentId: string, segments: Segment[]) => {
      for (let i = 0; i < segments.length; i += 32) await store.add(datasetId, spread(segments.slice(i, i + 32)));
      await store.dropDeleted(datasetId, documentId);
    };
    /** Searches that list objects (not a nearVector, not the one-object probe of the collection). */
    const listings = () => searches(weaviate).filter((r) => !r.nearVector && r.limit > 1);
    const deletes = () => weaviate.grpc.filter((c) => c.method === 'BatchDelete');

    it('re-indexing a 100-segment document as 40: one listing and one BatchDelete by ids in all (adds list nothing), other documents untouched', async () => {
      const datasetId = await db.dataset();
      const a = await db.document(datasetId, 100, true);
      const b = await db.document(datasetId, 2);
      await index(datasetId, b.id, b.segments);
      weaviate.grpc.length = 0;
      await index(datasetId, a.id, a.segments);
      // 4 batches of ≤ 32: before, each add listed the document (4 listings for 100 segments, N²/32 objects read).
      expect(listings()).toHaveLength(1);
      expect(deletes()).toHaveLength(0); // nothing stale: no delete at all
      const fresh = await resegment(datasetId, a.id, 40);
      weaviate.grpc.length = 0;
      weaviate.rest.length = 0;
      await index(datasetId, a.id, fresh);
      expect(weaviate.rest).toEqual([]);
      // Per add: a one-object probe of the collection (Search, limit 1) and the BatchObjects; then the cleanup.
      expect(weaviate.grpc.filter((c) => c.method === 'BatchObjects')).toHaveLength(40);
      expect(searches(weaviate).filter((r) => r.limit === 1 && !r.filters)).toHaveLength(2);
      expect(listings()).toEqual([
        expect.objectContaining({
          collection: collectionName(datasetId),
          limit: 10_000,
          filters: expect.objectContaining({
            operator: OP.EQUAL,
            target: expect.objectContaining({ property: 'document_id' }),
            valueText: a.id,
          }),
          properties: expect.objectContaining({ nonRefProperties: [], returnAllNonrefProperties: false }),
        }),
      ]);
      expect(deletes()).toHaveLength(1);
      expect(deletes()[0]!.request).toMatchObject({
        collection: collectionName(datasetId),
        filters: { operator: OP.CONTAINS_ANY, target: { property: '_id' } },
        dryRun: false,
      });
      const objects = weaviate.collections.get(collectionName(datasetId))!.objects;
      expect([...objects.keys()].sort()).toEqual([...fresh, ...b.segments].map((s) => s.node).sort());
      expect((await store.search(datasetId, at(0), 50)).length).toBe(42);
    });

    it('an add that finds its segment deleted meanwhile (after its row was read) drops that object itself, by id', async () => {
      const datasetId = await db.dataset();
      const a = await db.document(datasetId, 3, true);
      const victim = a.segments[1]!;
      // The segment goes between the add's read of the rows and its marking them completed.
      const racing = new Proxy(db.stack, {
        get(target, key) {
          if (key === 'query')
            return async (text: string, values?: unknown[]) => {
              if (text.includes("SET status = 'completed'"))
                await target.query('DELETE FROM document_segments WHERE id = $1', [victim.id]);
              return target.query(text, values);
            };
          const value = Reflect.get(target, key);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const raced = new WeaviateStore(racing, {
        endpoint: weaviate.endpoint,
        apiKey: KEY,
        grpcEndpoint: weaviate.grpcEndpoint,
      });
      try {
        weaviate.grpc.length = 0;
        await raced.add(datasetId, spread(a.segments));
      } finally {
        await raced.close();
      }
      expect(listings()).toEqual([]);
      expect(deletes().map((c) => c.request)).toEqual([
        expect.objectContaining({
          filters: expect.objectContaining({
            operator: OP.CONTAINS_ANY,
            target: expect.objectContaining({ property: '_id' }),
            valueTextArray: expect.objectContaining({ values: [victim.node] }),
          }),
        }),
      ]);
      const objects = weaviate.collections.get(collectionName(datasetId))!.objects;
      expect([...objects.keys()].sort()).toEqual([a.segments[0]!.node, a.segments[2]!.node].sort());
    });

    it("dropDeleted with the deleted segment's node removes that object by id: no listing of the document", async () => {
      const datasetId = await db.dataset();
      const a = await db.document(datasetId, 3, true);
      await index(datasetId, a.id, a.segments);
      await db.stack.query('DELETE FROM document_segments WHERE id = $1', [a.segments[0]!.id]);
      weaviate.grpc.length = 0;
      await store.dropDeleted(datasetId, a.id, [a.segments[0]!.node]);
      expect(weaviate.grpc.map((c) => c.method)).toEqual(['BatchDelete']);
      expect(weaviate.grpc[0]!.request).toMatchObject({
        filters: {
          operator: OP.CONTAINS_ANY,
          target: { property: '_id' },
          valueTextArray: { values: [a.segments[0]!.node] },
        },
      });
      const objects = weaviate.collections.get(collectionName(datasetId))!.objects;
      expect([...objects.keys()].sort()).toEqual(
        a.segments
          .slice(1)
          .map((s) => s.node)
          .sort(),
      );
    });

    it('a document whose listing fills QUERY_MAXIMUM_RESULTS is walked with the cursor (no filter with `after`): none of its stale objects is left', async () => {
      const datasetId = await db.dataset();
      const a = await db.document(datasetId, 3, true);
      const b = await db.document(datasetId, 2, true);
      await index(datasetId, a.id, a.segments);
      await index(datasetId, b.id, b.segments);
      // 10,005 objects of document a whose segments are gone (a crash left them, say): more than one query returns.
      const objects = weaviate.collections.get(collectionName(datasetId))!.objects;
      for (let i = 0; i < 10_005; i++) {
        const uuid = randomUUID();
        objects.set(uuid, { uuid, properties: { document_id: a.id }, vectors: new Map() });
      }
      weaviate.grpc.length = 0;
      await store.dropDeleted(datasetId, a.id);
      expect([...objects.keys()].sort()).toEqual([...a.segments, ...b.segments].map((s) => s.node).sort());
      // The filtered listing (cut at 10,000), then the cursor over the collection: 10,010 objects, pages of 10,000.
      const pages = listings();
      expect(pages.map((r) => ({ after: r.after !== '', filtered: Boolean(r.filters), limit: r.limit }))).toEqual([
        { after: false, filtered: true, limit: 10_000 },
        { after: false, filtered: false, limit: 10_000 },
        { after: true, filtered: false, limit: 10_000 },
      ]);
      expect(pages.slice(1).map((r) => r.properties?.nonRefProperties)).toEqual([['document_id'], ['document_id']]);
      // 10,005 stale ids in batch deletes of at most 1,000 ids.
      expect(deletes()).toHaveLength(11);
    });

    it("deleteDocument removes only that document's objects (BatchDelete where document_id = id)", async () => {
      const datasetId = await db.dataset();
      const a = await db.document(datasetId, 3);
      const b = await db.document(datasetId, 2, true);
      await store.add(datasetId, spread([...a.segments, ...b.segments]));
      weaviate.grpc.length = 0;
      await store.deleteDocument(a.id);
      const objects = weaviate.collections.get(collectionName(datasetId))!.objects;
      expect([...objects.values()].map((o) => o.properties.document_id)).toEqual([b.id, b.id]);
      // Until one matches nothing: a batch delete removes at most QUERY_MAXIMUM_RESULTS objects.
      expect(weaviate.grpc.map((c) => c.method)).toEqual(['BatchDelete', 'BatchDelete']);
      expect(weaviate.grpc[0]!.request).toMatchObject({
        filters: { operator: OP.EQUAL, target: { property: 'document_id' }, valueText: a.id },
      });
      expect((await store.search(datasetId, at(0), 10)).map((h) => h.segmentId).sort()).toEqual(
        b.segments.map((s) => s.id).sort(),
      );
    });

    it('deleteDataset drops the collection over REST; searching it then answers no hits, and a new add recreates it', async () => {
      const datasetId = await db.dataset();
      const a = await db.document(datasetId, 2);
      await store.add(datasetId, spread(a.segments));
      const name = collectionName(datasetId);
      weaviate.rest.length = 0;
      await store.deleteDataset(datasetId);
      expect(weaviate.collections.has(name)).toBe(false);
      expect(weaviate.rest.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/schema', `DELETE /v1/schema/${name}`]);
      expect(await store.search(datasetId, at(0), 3)).toEqual([]);
      await store.add(datasetId, [{ segmentId: a.segments[0]!.id, vector: at(0) }]);
      expect(weaviate.collections.get(name)?.objects.size).toBe(1);
    });
  },
);
