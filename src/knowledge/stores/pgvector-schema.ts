import type pg from 'pg';
import { pgvectorMissing } from '../errors.js';

/** PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes. */
const MAX_IDENTIFIER = 63;
/** pgvector's HNSW index takes vectors of at most 2000 dimensions (Dify skips the index above). */
export const HNSW_MAX_DIMENSIONS = 2000;

function checkedId(datasetId: string): string {
  if (!/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(datasetId))
    throw new Error(`pgvector: dataset id ${JSON.stringify(datasetId)} is not a UUID`);
  return datasetId.toLowerCase();
}

/**
 * Dify's table for a dataset: `embedding_` + `Vector_index_<id with _>_Node`, unquoted (so lower
 * case) — 64 characters, which PostgreSQL truncates to 63 (`…_nod`) exactly as it did for Dify's
 * own CREATE TABLE, so a database Dify filled is read as it is.
 */
export function tableFor(datasetId: string): string {
  return `embedding_vector_index_${checkedId(datasetId).replaceAll('-', '_')}_node`.slice(0, MAX_IDENTIFIER);
}

/**
 * Index names are schema-wide (Dify's fixed `embedding_cosine_v1_idx` only ever indexes the first
 * table): each dataset's indexes carry its id.
 */
function indexNames(datasetId: string): { hnsw: string; document: string } {
  const hex = checkedId(datasetId).replaceAll('-', '');
  return { hnsw: `embedding_hnsw_${hex}`, document: `embedding_doc_${hex}` };
}

/** `CREATE EXTENSION IF NOT EXISTS vector`; a server without pgvector (or without the right) is VECTOR.PGVECTOR_MISSING. */
export async function createExtension(pool: pg.Pool, where: string): Promise<void> {
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS vector');
  } catch (error) {
    const code = (error as { code?: string }).code;
    // 58P01: no vector.control (PostgreSQL ≤ 15); 0A000: "extension is not available" (16+); 42501: no right to create it.
    if (code === '58P01' || code === '0A000' || code === '42501')
      throw pgvectorMissing(where, code === '42501' ? 'permission' : 'absent', error);
    throw error;
  }
}

/**
 * Dify's table layout (id = the segment's index node id, text, meta jsonb, embedding vector(N)) with
 * its HNSW cosine index, plus an index on meta->>'document_id' for document deletes. Two writers
 * creating the same table wait on an advisory lock instead of racing in the catalog.
 */
export async function createTable(client: pg.PoolClient, datasetId: string, dimensions: number): Promise<void> {
  if (!Number.isInteger(dimensions) || dimensions < 1) throw new Error(`pgvector: bad vector dimensions ${dimensions}`);
  const table = tableFor(datasetId);
  const names = indexNames(datasetId);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${table} (id uuid PRIMARY KEY, text text NOT NULL, meta jsonb NOT NULL, embedding vector(${dimensions}) NOT NULL)`,
    );
    if (dimensions <= HNSW_MAX_DIMENSIONS)
      await client.query(
        `CREATE INDEX IF NOT EXISTS ${names.hnsw} ON ${table} USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)`,
      );
    await client.query(`CREATE INDEX IF NOT EXISTS ${names.document} ON ${table} ((meta->>'document_id'))`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** pgvector's text form of a vector: `[1,2,3]`. */
export const vectorLiteral = (vector: readonly number[]): string => `[${vector.join(',')}]`;

/** undefined_table: the dataset has no vectors yet (or they were dropped). */
export const isMissingTable = (error: unknown): boolean => (error as { code?: string }).code === '42P01';
