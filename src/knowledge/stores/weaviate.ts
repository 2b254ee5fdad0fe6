import type pg from 'pg';
import type { SegmentVector, VectorHit, VectorStore } from '../vector-store.js';
import {
  collectionConfig,
  collectionName,
  DOCUMENT_PROPERTY,
  documentFilter,
  idsFilter,
  scoreFromDistance,
  VECTOR_NAME,
  weaviateAddress,
} from './weaviate-config.js';
import { currentNodes, markAdded, searchEnabled, segmentsToAdd } from './segment-rows.js';
import { loadWeaviate, type WeaviateClient } from './weaviate-client.js';
import { weaviateFault } from './weaviate-errors.js';

/** Dify's WEAVIATE_* settings (api/configs/middleware/vdb/weaviate_config.py). */
export interface WeaviateOptions {
  endpoint: string;
  apiKey?: string;
  /** grpc://host:port; without it the HTTP host on 50051 (443 when HTTPS), as Dify. */
  grpcEndpoint?: string;
  /** Insert calls (one object each) in flight at once. @default 16 */
  inFlight?: number;
}

const SEARCH_MAX = 1000;
/** Weaviate's default QUERY_MAXIMUM_RESULTS: the most objects a query returns. */
const LIST_MAX = 10_000;
/** Ids per batch delete (one ContainsAny filter). */
const DELETE_BATCH = 1000;

/**
 * VECTOR_STORE=weaviate with the official client: one collection per dataset as Dify lays it out
 * (`Vector_index_<id>_Node`, properties text / document_id / doc_id, the self-provided vector
 * `default`, cosine distance; score = 1 − distance). As the pgvector store, the segment rows stay in
 * the stack's database (`stack`): `add` marks them completed there, and a search keeps only hits
 * whose segment and document are still enabled (looking further when disabled ones took places).
 */
export class WeaviateStore implements VectorStore {
  readonly kind = 'weaviate';
  private client?: Promise<WeaviateClient>;
  /**
   * Collections seen to exist: the client's `exists` lists the whole schema (GET /v1/schema), too
   * much for every search. Deleting a dataset forgets its collection.
   */
  private readonly known = new Set<string>();

  constructor(
    private readonly stack: pg.Pool,
    private readonly options: WeaviateOptions,
  ) {}

  /** Connects once, checking the endpoint and the key on /v1/meta; a failure is retried next call. */
  private connect(): Promise<WeaviateClient> {
    this.client ??= (async () => {
      const { default: weaviate } = await loadWeaviate();
      const client = await weaviate.connectToCustom({
        ...weaviateAddress(this.options.endpoint, this.options.grpcEndpoint),
        authCredentials: this.options.apiKey || undefined,
        // As Dify: no start-up round trips (gRPC health, version); /v1/meta below checks endpoint and key.
        skipInitChecks: true,
        timeout: { init: 5, query: 30, insert: 90 },
      });
      try {
        // GET /v1/meta with the key: checks endpoint and key, and caches the version the client's
        // collection helpers otherwise fetch eagerly with no one awaiting (an unhandled rejection).
        await client.getWeaviateVersion();
      } catch (error) {
        await client.close().catch(() => {});
        throw error;
      }
      return client;
    })().catch((error: unknown) => {
      this.client = undefined;
      throw this.fault(error);
    });
    return this.client;
  }

  private fault(error: unknown): unknown {
    const a = weaviateAddress(this.options.endpoint, this.options.grpcEndpoint);
    const origin = new URL(this.options.endpoint).origin;
    return weaviateFault(error, { origin, grpc: `${a.grpcHost}:${a.grpcPort}`, keySet: Boolean(this.options.apiKey) });
  }

  /** `work` on the client; the client's faults become VECTOR.WEAVIATE_* errors. */
  private async run<T>(work: (client: WeaviateClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await work(client);
    } catch (error) {
      throw this.fault(error);
    }
  }

  async add(datasetId: string, vectors: SegmentVector[]): Promise<void> {
    if (!vectors.length) return;
    const added = await segmentsToAdd(this.stack, datasetId, vectors);
    const { byId, present } = added;
    if (!present.length) return; // the segments were replaced or deleted meanwhile
    const name = collectionName(datasetId);
    await this.run(async (client) => {
      await this.ensureCollection(client, name);
      const collection = client.collections.use(name);
      const objects = present.map((v) => {
        const r = byId.get(v.segmentId)!;
        return {
          // The node id is a UUID: re-indexing a segment replaces its object.
          id: r.node,
          properties: {
            text: r.content,
            document_id: r.document_id,
            doc_id: r.node,
            doc_hash: r.hash ?? '',
            dataset_id: datasetId,
            segment_id: r.id,
          },
          vectors: { [VECTOR_NAME]: v.vector },
        };
      });
      // weaviate-client 3.12 holds every insertMany of more than one object for 500 ms (its serializer
      // polls on a 500 ms timer): the objects go one per BatchObjects call, `inFlight` calls at a time.
      const inFlight = this.options.inFlight ?? 16;
      const rejected: string[] = [];
      for (let i = 0; i < objects.length; i += inFlight) {
        const results = await Promise.all(objects.slice(i, i + inFlight).map((o) => collection.data.insertMany([o])));
        for (const result of results)
          if (result.hasErrors) rejected.push(...Object.values(result.errors).map((e) => e.message));
      }
      if (rejected.length) throw new Error(`Weaviate rejected ${rejected.length} object(s): ${rejected[0]}`);
    });
    // Segments deleted while this batch was written: their objects go (the rest of a re-index's
    // stale objects are dropped once, after its last batch: dropDeleted).
    const gone = await markAdded(this.stack, datasetId, added);
    if (gone.length) await this.run((client) => this.deleteIds(client, name, gone));
  }

  /** Weaviate's answer for a collection that is gone (dropped behind the cache): forgotten, nothing there. */
  private gone(name: string, error: unknown): undefined {
    if (!/could not find class/.test(error instanceof Error ? error.message : '')) throw error;
    this.known.delete(name);
    return undefined;
  }

  private async exists(client: WeaviateClient, name: string): Promise<boolean> {
    if (this.known.has(name)) return true;
    const exists = await client.collections.exists(name);
    if (exists) this.known.add(name);
    return exists;
  }

  /**
   * Checked with Weaviate on every add, not taken from the cache: another process may have dropped
   * the collection (the api re-indexing a dataset on a new embedding model), and an insert into a
   * missing collection is refused, or auto-created by Weaviate's auto-schema without Dify's layout.
   * A known one is probed with a one-object read (gRPC), cheaper than listing the whole schema.
   */
  private async ensureCollection(client: WeaviateClient, name: string): Promise<void> {
    if (this.known.has(name)) {
      const there = await client.collections
        .use(name)
        .query.fetchObjects({ limit: 1, returnProperties: [] })
        .then(
          () => true,
          (error: unknown) => this.gone(name, error) ?? false,
        );
      if (there) return;
    }
    if (await this.exists(client, name)) return;
    const { configure } = await loadWeaviate();
    try {
      await client.collections.create(collectionConfig(configure, name));
      this.known.add(name);
    } catch (error) {
      // Another process created it meanwhile (Dify takes a Redis lock for the same race).
      if (!(await this.exists(client, name))) throw error;
    }
  }

  /** Deletes objects by id, in batches a batch delete removes whole (at most QUERY_MAXIMUM_RESULTS). */
  private async deleteIds(client: WeaviateClient, name: string, ids: string[]): Promise<void> {
    const collection = client.collections.use(name);
    for (let i = 0; i < ids.length; i += DELETE_BATCH)
      await collection.data.deleteMany(idsFilter(collection.filter, ids.slice(i, i + DELETE_BATCH)));
  }

  /**
   * The document's objects whose segments no longer exist. ContainsNone needs Weaviate 1.32: the
   * document's objects are listed (one filtered query) and the stale ones deleted by id (none: no
   * call). A listing cut at QUERY_MAXIMUM_RESULTS (a filtered query cannot page past it) is done
   * again over the whole collection with the cursor API (`after`, which takes no filter), so no
   * document is too large.
   */
  private async dropReplaced(client: WeaviateClient, name: string, documentId: string): Promise<void> {
    const collection = client.collections.use(name);
    const listed = await collection.query
      .fetchObjects({ filters: documentFilter(collection.filter, documentId), limit: LIST_MAX, returnProperties: [] })
      .catch((error: unknown) => this.gone(name, error));
    if (!listed) return; // the collection was dropped meanwhile: nothing of the document is left
    let ids = listed.objects.map((o) => o.uuid);
    if (ids.length >= LIST_MAX) {
      ids = [];
      let after: string | undefined;
      for (;;) {
        const page = await collection.query.fetchObjects({
          after,
          limit: LIST_MAX,
          returnProperties: [DOCUMENT_PROPERTY],
        });
        for (const o of page.objects) if (o.properties[DOCUMENT_PROPERTY] === documentId) ids.push(o.uuid);
        if (page.objects.length < LIST_MAX) break;
        after = page.objects[page.objects.length - 1]!.uuid;
      }
    }
    if (!ids.length) return;
    // Read after the listing: a segment made meanwhile (its row precedes its object) is never taken
    // for stale, and a node missing from the rows stays dead (re-indexing mints new ones).
    const keep = new Set(await currentNodes(this.stack, documentId));
    const stale = ids.filter((id) => !keep.has(id));
    await this.deleteIds(client, name, stale);
  }

  async dropDeleted(datasetId: string, documentId: string, nodes?: string[]): Promise<void> {
    if (nodes && !nodes.length) return;
    const name = collectionName(datasetId);
    await this.run(async (client) => {
      if (!(await this.exists(client, name))) return;
      // Known segments: their objects by id (their node ids are UUIDs only this document uses).
      if (nodes) await this.deleteIds(client, name, nodes);
      else await this.dropReplaced(client, name, documentId);
    });
  }

  async search(datasetId: string, query: number[], topK: number): Promise<VectorHit[]> {
    if (topK < 1 || !query.length) return [];
    const name = collectionName(datasetId);
    return searchEnabled(this.stack, datasetId, topK, SEARCH_MAX, (limit) =>
      this.run(async (client) => {
        if (!(await this.exists(client, name))) return [];
        const result = await client.collections
          .use(name)
          .query.nearVector(query, {
            limit,
            targetVector: VECTOR_NAME,
            returnMetadata: ['distance'],
            returnProperties: ['segment_id'],
          })
          .catch((error: unknown) => this.gone(name, error));
        if (!result) return [];
        return result.objects.map((o) => ({
          segmentId: String(o.properties.segment_id ?? o.uuid),
          score: scoreFromDistance(o.metadata?.distance),
        }));
      }),
    );
  }

  async deleteDocument(documentId: string): Promise<void> {
    // The document row may be gone already: its segments still name the dataset.
    const { rows } = await this.stack.query<{ dataset_id: string }>(
      `SELECT dataset_id FROM documents WHERE id = $1
       UNION ALL SELECT dataset_id FROM document_segments WHERE document_id = $1 LIMIT 1`,
      [documentId],
    );
    const datasetId = rows[0]?.dataset_id;
    if (!datasetId) return;
    const name = collectionName(datasetId);
    await this.run(async (client) => {
      if (!(await this.exists(client, name))) return;
      const collection = client.collections.use(name);
      // A batch delete removes at most QUERY_MAXIMUM_RESULTS objects: again until none match.
      for (;;) {
        const result = await collection.data
          .deleteMany(documentFilter(collection.filter, documentId))
          .catch((error: unknown) => this.gone(name, error));
        if (!result?.successful) return;
      }
    });
  }

  async deleteDataset(datasetId: string): Promise<void> {
    const name = collectionName(datasetId);
    await this.run(async (client) => {
      this.known.delete(name);
      if (await client.collections.exists(name)) await client.collections.delete(name);
    });
  }

  async close(): Promise<void> {
    const client = await this.client?.catch(() => undefined);
    this.client = undefined;
    await client?.close();
  }
}
