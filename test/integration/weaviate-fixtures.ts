import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { createMigrator } from '../../src/db/migrator.js';
import { isDifyctlError } from '../../src/errors/index.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import type { WeaviateStandIn } from '../helpers/weaviate-stand-in.js';
import type { SearchRequestMsg } from '../helpers/weaviate-stand-in-grpc.js';

/**
 * What the Weaviate store tests share: a real PostgreSQL as the stack's database (migrated), where
 * datasets, documents and segments waiting for vectors are made; vectors easy to reason about.
 */

export const KEY = 'grpc-key-0123';

export interface Segment {
  id: string;
  /** The Weaviate object's id: index_node_id when set (as Dify's), else the segment id. */
  node: string;
}

export interface SegmentDatabase {
  stack: pg.Pool;
  tenantId: string;
  dataset(): Promise<string>;
  /** A document with `count` segments waiting for vectors; `nodeIds` gives them Dify's index_node_id. */
  document(datasetId: string, count: number, nodeIds?: boolean): Promise<{ id: string; segments: Segment[] }>;
}

/** Starts the database before the file's tests and stops it after; the fields are set by then. */
export function useSegmentDatabase(): SegmentDatabase {
  let server: TestPostgres;
  const db = {} as SegmentDatabase; // filled in beforeAll, before any test reads it
  beforeAll(async () => {
    server = await startPostgres();
    const connection = await server.createDatabase();
    await createMigrator({ connection }).up();
    const stack = new pg.Pool({ ...connection, max: 3 });
    stack.on('error', () => {});
    const tenantId: string = (await stack.query(`INSERT INTO tenants (name) VALUES ('weaviate') RETURNING id`)).rows[0]
      .id;
    Object.assign(db, {
      stack,
      tenantId,
      async dataset() {
        const { rows } = await stack.query(
          `INSERT INTO datasets (tenant_id, name, indexing_technique) VALUES ($1, $2, 'high_quality') RETURNING id`,
          [tenantId, `ds-${Math.random()}`],
        );
        return rows[0].id;
      },
      async document(datasetId: string, count: number, nodeIds = false) {
        const { rows } = await stack.query(
          `INSERT INTO documents (tenant_id, dataset_id, name, indexing_status) VALUES ($1, $2, 'doc', 'completed') RETURNING id`,
          [tenantId, datasetId],
        );
        const id: string = rows[0].id;
        const segments = await stack.query<Segment>(
          `INSERT INTO document_segments (tenant_id, dataset_id, document_id, position, content, status, index_node_id)
           SELECT $1, $2, $3, n, 'segment ' || n, 'indexing', CASE WHEN $5 THEN gen_random_uuid()::text END
           FROM generate_series(1, $4::int) AS n ORDER BY n
           RETURNING id, coalesce(index_node_id, id::text) AS node`,
          [tenantId, datasetId, id, count, nodeIds],
        );
        return { id, segments: segments.rows };
      },
    } satisfies SegmentDatabase);
  }, 60_000);
  afterAll(async () => {
    await db.stack?.end();
    await server?.stop();
  });
  return db;
}

/** A unit vector at `degrees` in the plane of the first two axes, padded to `dims`. */
export const at = (degrees: number, dims = 4): number[] => {
  const r = (degrees * Math.PI) / 180;
  return [Math.cos(r), Math.sin(r), ...Array<number>(dims - 2).fill(0)];
};

/** One vector per segment, 10° apart in segment order: what the tests add to the store. */
export const spread = (segments: Segment[]) => segments.map((s, i) => ({ segmentId: s.id, vector: at(i * 10) }));

/** A vector as Weaviate keeps it (float32). */
export const f32 = (v: number[]) => Array.from(new Float32Array(v));

/** The Search requests the stand-in received, decoded. */
export const searches = (w: WeaviateStandIn) =>
  w.grpc.filter((c) => c.method === 'Search').map((c) => c.request as SearchRequestMsg); // recorded by the Search handler

export async function failure(work: Promise<unknown>): Promise<Error & { code?: string }> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isDifyctlError(error)).toBe(true);
  return error as Error & { code?: string }; // a DifyctlError, checked above
}
