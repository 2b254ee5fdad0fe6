import pg from 'pg';
import type { SegmentVector, VectorHit, VectorStore } from '../vector-store.js';
import { createExtension, createTable, isMissingTable, tableFor, vectorLiteral } from './pgvector-schema.js';
import { currentNodes, markAdded, searchEnabled, segmentsToAdd } from './segment-rows.js';

/** Dify's PGVECTOR_* settings (api/configs/middleware/vdb/pgvector_config.py) with its factory's fallbacks. */
export interface PgvectorOptions {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
  /** @default 1 */
  minConnections?: number;
  /** @default 5 */
  maxConnections?: number;
}

/** pgvector's HNSW scan returns at most hnsw.ef_search rows; 40 is its default. */
const EF_SEARCH_MIN = 40;
const EF_SEARCH_MAX = 1000;

/**
 * VECTOR_STORE=pgvector: one table per dataset on the PGVECTOR_* server, laid out as Dify's
 * PGVector does (`embedding_vector_index_<id>_nod…`: id, text, meta jsonb, embedding vector(N), HNSW
 * cosine index), searched with `<=>` (score = 1 − cosine distance). The segment rows stay in the
 * stack's database (`stack`): `add` marks them completed there as the default store does, and a
 * search keeps only hits whose segment and document are still enabled (over-fetching to make up
 * for the ones it drops), so enabling/disabling/archiving needs no write to the vector table.
 */
export class PgvectorStore implements VectorStore {
  readonly kind = 'pgvector';
  private readonly pool: pg.Pool;
  private readonly where: string;
  private extension?: Promise<void>;
  /** Dataset tables this store made or saw (CREATE … IF NOT EXISTS once per process). */
  private readonly tables = new Set<string>();

  constructor(
    private readonly stack: pg.Pool,
    options: PgvectorOptions,
  ) {
    const database = options.database ?? 'postgres';
    this.where = `${options.host}:${options.port}/${database}`;
    this.pool = new pg.Pool({
      host: options.host,
      port: options.port,
      user: options.user ?? 'postgres',
      password: options.password ?? '',
      database,
      min: options.minConnections ?? 1,
      max: options.maxConnections ?? 5,
      application_name: 'difyctl-pgvector',
    });
    // An idle client the server drops is not an uncaught exception; the next query reconnects.
    this.pool.on('error', () => {});
  }

  /** Once per store; a failure (e.g. VECTOR.PGVECTOR_MISSING) is retried on the next call. */
  private ready(): Promise<void> {
    this.extension ??= createExtension(this.pool, this.where).catch((error: unknown) => {
      this.extension = undefined;
      throw error;
    });
    return this.extension;
  }

  async add(datasetId: string, vectors: SegmentVector[]): Promise<void> {
    if (!vectors.length) return;
    await this.ready();
    const added = await segmentsToAdd(this.stack, datasetId, vectors);
    const { byId, present } = added;
    if (!present.length) return; // the segments were replaced or deleted meanwhile
    const values = [
      present.map((v) => byId.get(v.segmentId)!.node),
      present.map((v) => byId.get(v.segmentId)!.content),
      present.map((v) => {
        const r = byId.get(v.segmentId)!;
        return JSON.stringify({
          doc_id: r.node,
          doc_hash: r.hash,
          document_id: r.document_id,
          dataset_id: datasetId,
          segment_id: r.id,
        });
      }),
      present.map((v) => vectorLiteral(v.vector)),
    ];
    const insert = (client: pg.PoolClient) =>
      client.query(
        `INSERT INTO ${tableFor(datasetId)} (id, text, meta, embedding)
         SELECT u.id::uuid, u.text, u.meta::jsonb, u.embedding::vector FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(id, text, meta, embedding)
         ON CONFLICT (id) DO UPDATE SET text = excluded.text, meta = excluded.meta, embedding = excluded.embedding`,
        values,
      );
    // The table is made before the first insert (idempotent), not after an insert failed: a failed
    // statement costs pg's pool its connection, and pglite-socket's protocol state too.
    const table = tableFor(datasetId);
    const dimensions = present[0]!.vector.length;
    if (!this.tables.has(table)) {
      await this.withClient((client) => createTable(client, datasetId, dimensions));
      this.tables.add(table);
    }
    await this.withClient(insert).catch(async (error: unknown) => {
      if (!isMissingTable(error)) throw error;
      // Dropped meanwhile by another process (a re-index, a dataset delete): made again.
      await this.withClient((client) => createTable(client, datasetId, dimensions));
      await this.withClient(insert);
    });
    // Segments deleted while this batch was written: their rows go (the rest of a re-index's stale
    // rows are dropped once, after its last batch: dropDeleted).
    const gone = await markAdded(this.stack, datasetId, added);
    if (gone.length) await this.pool.query(`DELETE FROM ${table} WHERE id = ANY($1::uuid[])`, [gone]);
  }

  /**
   * The document's rows whose segments no longer exist: the named `nodes` (by primary key), or,
   * without them, every row of the document not among its current segments (uncapped). The rows are
   * listed before the segments are read: a segment made meanwhile (its row precedes its vector) is
   * then never taken for stale, and a node id missing from the rows stays dead (re-indexing mints
   * new ones).
   */
  async dropDeleted(datasetId: string, documentId: string, nodes?: string[]): Promise<void> {
    if (nodes && !nodes.length) return;
    await this.ready();
    const table = tableFor(datasetId);
    const { rows } = await this.pool.query('SELECT 1 FROM pg_class WHERE oid = to_regclass($1)', [table]);
    if (!rows.length) return;
    let stale = nodes;
    if (!stale) {
      const { rows: listed } = await this.pool.query<{ id: string }>(
        `SELECT id::text FROM ${table} WHERE meta->>'document_id' = $1`,
        [documentId],
      );
      if (!listed.length) return;
      const keep = new Set(await currentNodes(this.stack, documentId));
      stale = listed.map((r) => r.id).filter((id) => !keep.has(id));
    }
    if (stale.length)
      await this.pool.query(`DELETE FROM ${table} WHERE meta->>'document_id' = $1 AND id = ANY($2::uuid[])`, [
        documentId,
        stale,
      ]);
  }

  async search(datasetId: string, query: number[], topK: number): Promise<VectorHit[]> {
    if (topK < 1 || !query.length) return [];
    await this.ready();
    return searchEnabled(this.stack, datasetId, topK, EF_SEARCH_MAX, (limit) => this.nearest(datasetId, query, limit));
  }

  /** The `limit` nearest rows by cosine distance (the HNSW index answers when there is one). */
  private nearest(datasetId: string, query: number[], limit: number): Promise<VectorHit[]> {
    return this.withClient(async (client) => {
      // One round trip: the session's ef_search, and whether the dataset has its table yet.
      const { rows: checked } = await client.query<{ present: boolean }>(
        `SELECT set_config('hnsw.ef_search', $1, false), to_regclass($2) IS NOT NULL AS present`,
        [String(Math.max(EF_SEARCH_MIN, limit)), tableFor(datasetId)],
      );
      if (!checked[0]?.present) return [];
      const { rows } = await client.query<{ segment_id: string | null; id: string; distance: number }>(
        `SELECT meta->>'segment_id' AS segment_id, id::text, embedding <=> $1::vector AS distance
         FROM ${tableFor(datasetId)} ORDER BY distance LIMIT $2`,
        [vectorLiteral(query), limit],
      );
      return rows.map((r) => ({ segmentId: r.segment_id ?? r.id, score: 1 - Number(r.distance) }));
    });
  }

  /** Queries on one checked-out client (a session setting, a transaction). */
  private async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A connection lost mid-work fails the query; its 'error' event must not be an uncaught exception.
    const ignore = () => {};
    client.on('error', ignore);
    try {
      return await work(client);
    } finally {
      client.off('error', ignore);
      client.release();
    }
  }

  async deleteDocument(documentId: string): Promise<void> {
    const { rows } = await this.stack.query<{ dataset_id: string }>('SELECT dataset_id FROM documents WHERE id = $1', [
      documentId,
    ]);
    const datasetId = rows[0]?.dataset_id;
    if (!datasetId) return;
    await this.ready();
    const table = tableFor(datasetId);
    await this.withClient(async (client) => {
      const { rows: found } = await client.query('SELECT 1 FROM pg_class WHERE oid = to_regclass($1)', [table]);
      if (found.length) await client.query(`DELETE FROM ${table} WHERE meta->>'document_id' = $1`, [documentId]);
    });
  }

  async deleteDataset(datasetId: string): Promise<void> {
    await this.ready();
    await this.pool.query(`DROP TABLE IF EXISTS ${tableFor(datasetId)}`);
    this.tables.delete(tableFor(datasetId));
  }

  /** Closes this store's own pool (the stack's pool belongs to its owner). */
  async close(): Promise<void> {
    await this.pool.end();
  }
}
