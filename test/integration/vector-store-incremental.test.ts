/**
 * The default vector store across api processes (issue 12): two PostgresVectorStore instances on
 * their own pools (two processes' caches) over one real PostgreSQL. What the writer adds or deletes
 * reaches the reader as a delta from the change log, not a reload; the search (usearch's int8 scan,
 * float32 re-rank) finds what an exact search finds; the change log is pruned, and a reader that
 * fell behind the pruned rows reloads instead of missing changes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator } from '../../src/db/migrator.js';
import { PostgresVectorStore, pruneVectorChanges } from '../../src/knowledge/index.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

const DIMS = 64;
let server: TestPostgres;
let writerPool: pg.Pool;
let readerPool: pg.Pool;
let tenantId: string;
let connection: pg.PoolConfig;

// Seeded random unit-free vectors (mulberry32): the same on every run.
function generator(seed: number) {
  return (): number[] => {
    const v: number[] = [];
    for (let i = 0; i < DIMS; i++) {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      v.push(((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5);
    }
    return v;
  };
}

beforeAll(async () => {
  server = await startPostgres();
  const db = await server.createDatabase();
  connection = db;
  await createMigrator({ connection: db }).up();
  writerPool = new pg.Pool({ ...db, max: 3 });
  readerPool = new pg.Pool({ ...db, max: 3 });
  for (const pool of [writerPool, readerPool]) pool.on('error', () => {});
  tenantId = (await writerPool.query(`INSERT INTO tenants (name) VALUES ('vectors') RETURNING id`)).rows[0].id;
}, 60_000);

afterAll(async () => {
  await Promise.all([writerPool?.end(), readerPool?.end()]);
  await server?.stop();
});

async function dataset(): Promise<string> {
  const { rows } = await writerPool.query(
    `INSERT INTO datasets (tenant_id, name, indexing_technique) VALUES ($1, $2, 'high_quality') RETURNING id`,
    [tenantId, `ds-${Math.random()}`],
  );
  return rows[0].id;
}

/** A completed document with `count` segments waiting for their vectors. */
async function document(datasetId: string, count: number): Promise<{ id: string; segments: string[] }> {
  const { rows } = await writerPool.query(
    `INSERT INTO documents (tenant_id, dataset_id, name, indexing_status) VALUES ($1, $2, 'doc', 'completed') RETURNING id`,
    [tenantId, datasetId],
  );
  const id: string = rows[0].id;
  const segments = await writerPool.query<{ id: string }>(
    `INSERT INTO document_segments (tenant_id, dataset_id, document_id, position, content, status)
     SELECT $1, $2, $3, n, 'segment ' || n, 'indexing' FROM generate_series(1, $4::int) AS n ORDER BY n RETURNING id`,
    [tenantId, datasetId, id, count],
  );
  return { id, segments: segments.rows.map((r) => r.id) };
}

/**
 * Two api processes over a fresh dataset: a writer and a reader store on their own pools, and
 * `vectors`, which gives segments seeded vectors (the `seed` stream, shared with `next`).
 */
async function twoProcesses(seed: number) {
  const next = generator(seed);
  return {
    next,
    vectors: (segments: string[]) => segments.map((segmentId) => ({ segmentId, vector: next() })),
    datasetId: await dataset(),
    writer: new PostgresVectorStore(writerPool),
    reader: new PostgresVectorStore(readerPool),
  };
}

describe('default vector store: incremental consistency between api processes', () => {
  it('a reader applies the writer’s 32 new vectors as a delta, and drops a deleted document’s hits', async () => {
    const { next, vectors, datasetId, writer, reader } = await twoProcesses(7);
    const first = await document(datasetId, 200);
    await writer.add(datasetId, vectors(first.segments));
    const start = { ...reader.stats };
    await reader.search(datasetId, next(), 5);
    const read = () => ({
      fullLoads: reader.stats.fullLoads - start.fullLoads,
      deltaLoads: reader.stats.deltaLoads - start.deltaLoads,
      rowsRead: reader.stats.rowsRead - start.rowsRead,
    });
    expect(read()).toEqual({ fullLoads: 1, deltaLoads: 0, rowsRead: 200 });

    const second = await document(datasetId, 32);
    const added = vectors(second.segments);
    await writer.add(datasetId, added);
    // The reader's next search finds a new vector (its own query) without reading the other 200 again.
    const hits = await reader.search(datasetId, added[17]!.vector, 1);
    expect(hits[0]?.segmentId).toBe(second.segments[17]);
    expect(hits[0]?.score).toBeCloseTo(1, 5);
    expect(read()).toEqual({ fullLoads: 1, deltaLoads: 1, rowsRead: 232 });
    expect(reader.cached(datasetId)?.size).toBe(232);

    // No change: no rows read.
    await reader.search(datasetId, next(), 5);
    expect(read().rowsRead).toBe(232);

    await writer.deleteDocument(second.id);
    const after = await reader.search(datasetId, added[17]!.vector, 232);
    expect(after.map((h) => h.segmentId)).not.toContain(second.segments[17]);
    expect(after).toHaveLength(200);
    expect(read()).toEqual({ fullLoads: 1, deltaLoads: 2, rowsRead: 232 });
  }, 60_000);

  it('disabling and enabling a document reaches the reader (touchVectors with the document)', async () => {
    const { vectors: vectorsFor, datasetId, writer, reader } = await twoProcesses(11);
    const doc = await document(datasetId, 10);
    const vectors = vectorsFor(doc.segments);
    await writer.add(datasetId, vectors);
    expect(await reader.search(datasetId, vectors[3]!.vector, 1)).toMatchObject([{ segmentId: doc.segments[3] }]);
    const { touchVectors } = await import('../../src/knowledge/index.js');
    await writerPool.query('UPDATE documents SET enabled = false WHERE id = $1', [doc.id]);
    await touchVectors(writerPool, datasetId, { documentIds: [doc.id] });
    expect(await reader.search(datasetId, vectors[3]!.vector, 10)).toEqual([]);
    await writerPool.query('UPDATE documents SET enabled = true WHERE id = $1', [doc.id]);
    await touchVectors(writerPool, datasetId, { documentIds: [doc.id] });
    expect(await reader.search(datasetId, vectors[3]!.vector, 10)).toHaveLength(10);
  }, 60_000);

  it('the int8 scan + re-rank has recall@10 ≥ 0.95 against the exact scan, and follows deltas', async () => {
    const { next, vectors, datasetId, writer, reader } = await twoProcesses(3);
    const doc = await document(datasetId, 3000);
    for (let i = 0; i < doc.segments.length; i += 500) {
      await writer.add(datasetId, vectors(doc.segments.slice(i, i + 500)));
    }
    await reader.search(datasetId, next(), 10);
    const entry = reader.cached(datasetId)!;
    let recall = 0;
    const queries = 100;
    for (let i = 0; i < queries; i++) {
      const q = next();
      const approximate = await reader.search(datasetId, q, 10);
      const norm = Math.sqrt(q.reduce((n, x) => n + x * x, 0));
      const exact = new Set(
        entry
          .exact(
            Float32Array.from(q, (x) => x / norm),
            10,
          )
          .map((h) => h.segmentId),
      );
      recall += approximate.filter((h) => exact.has(h.segmentId)).length / 10;
    }
    expect(recall / queries).toBeGreaterThanOrEqual(0.95);

    // A delta into the int8 rows: 32 new vectors of a second document are found, then gone with it.
    const loads = reader.stats.fullLoads;
    const more = await document(datasetId, 32);
    const added = vectors(more.segments);
    await writer.add(datasetId, added);
    expect((await reader.search(datasetId, added[5]!.vector, 1))[0]?.segmentId).toBe(more.segments[5]);
    expect(reader.stats.fullLoads).toBe(loads);
    await writer.deleteDocument(more.id);
    const hits = await reader.search(datasetId, added[5]!.vector, 10);
    expect(hits.map((h) => h.segmentId)).not.toContain(more.segments[5]);
    expect(reader.stats.fullLoads).toBe(loads);
  }, 120_000);

  it('the change log is pruned; a reader behind the pruned rows reloads fully, one up to date keeps its deltas', async () => {
    const { vectors, datasetId, writer, reader: behind } = await twoProcesses(5);
    const first = await document(datasetId, 40);
    const firstVectors = vectors(first.segments);
    await writer.add(datasetId, firstVectors);
    expect((await behind.search(datasetId, firstVectors[0]!.vector, 1))[0]?.segmentId).toBe(first.segments[0]);

    // While `behind` does not search: a second document is added and the first deleted, an hour ago.
    const second = await document(datasetId, 40);
    const secondVectors = vectors(second.segments);
    for (let i = 0; i < 40; i += 8) await writer.add(datasetId, secondVectors.slice(i, i + 8));
    await writer.deleteDocument(first.id);
    // A third process is up to date at prune time.
    const currentPool = new pg.Pool({ ...connection, max: 1 });
    currentPool.on('error', () => {});
    const current = new PostgresVectorStore(currentPool);
    await current.search(datasetId, secondVectors[0]!.vector, 1);
    await writerPool.query(`UPDATE vector_changes SET created_at = now() - interval '2 hours' WHERE dataset_id = $1`, [
      datasetId,
    ]);
    // A dataset that no longer exists: its old rows go entirely.
    const goneId = await dataset();
    await writerPool.query(
      `INSERT INTO vector_changes (dataset_id, segment_id, created_at) VALUES ($1, gen_random_uuid(), now() - interval '2 hours')`,
      [goneId],
    );
    await writerPool.query('DELETE FROM datasets WHERE id = $1', [goneId]);

    const before = await changeRows(datasetId);
    expect(before.length).toBeGreaterThan(40);
    expect(await pruneVectorChanges(writerPool, 60 * 60_000)).toBeGreaterThanOrEqual(before.length);
    const after = await changeRows(datasetId);
    // One dataset-wide record at the newest pruned version.
    expect(after).toEqual([{ version: before[before.length - 1]!.version, document_id: null, segment_id: null }]);
    expect(await changeRows(goneId)).toEqual([]);
    // Pruning again changes nothing.
    expect(await pruneVectorChanges(writerPool, 60 * 60_000)).toBe(0);

    // A fresh write after the prune.
    const third = await document(datasetId, 8);
    const thirdVectors = vectors(third.segments);
    await writer.add(datasetId, thirdVectors);

    // `behind` held a version older than the pruned rows: it reloads, and misses neither the second
    // document nor the first one's deletion (only applying the rows still there would miss both).
    const fullLoads = behind.stats.fullLoads;
    expect((await behind.search(datasetId, secondVectors[3]!.vector, 1))[0]?.segmentId).toBe(second.segments[3]);
    expect(behind.stats.fullLoads).toBe(fullLoads + 1);
    const hits = await behind.search(datasetId, firstVectors[0]!.vector, 100);
    expect(hits.map((h) => h.segmentId).filter((id) => first.segments.includes(id))).toEqual([]);
    expect(hits).toHaveLength(48);
    expect((await behind.search(datasetId, thirdVectors[2]!.vector, 1))[0]?.segmentId).toBe(third.segments[2]);

    // `current` was at the newest pruned version: the fresh write is a delta, no reload.
    const currentLoads = { ...current.stats };
    expect((await current.search(datasetId, thirdVectors[2]!.vector, 1))[0]?.segmentId).toBe(third.segments[2]);
    expect(current.stats.fullLoads).toBe(currentLoads.fullLoads);
    expect(current.stats.deltaLoads).toBe(currentLoads.deltaLoads + 1);
    await currentPool.end();
  }, 60_000);
});

async function changeRows(datasetId: string) {
  const { rows } = await writerPool.query(
    'SELECT version::text, document_id::text, segment_id::text FROM vector_changes WHERE dataset_id = $1 ORDER BY version',
    [datasetId],
  );
  return rows;
}
