#!/usr/bin/env node
// Knowledge (issue 12), VECTOR_STORE=pgvector: PgvectorStore against the real pgvector of PGlite
// (WASM PostgreSQL with its vector extension, served over the wire protocol by pglite-socket in a
// child process; one connection), segment rows in a real PostgreSQL 15 (Debian binaries).
//  1. store.add() throughput in the indexer's batches of 32 (the first creates the table and its HNSW
//     index; each batch: the segment rows from the stack, INSERT … vector, the orphan sweep of the
//     document, segments marked completed);
//  2. store.search() p50/p99, top 10 (the HNSW scan on PGlite + the enabled/completed filter on the
//     stack), and recall@10 against an exact brute force computed here.
// PGlite is not a production pgvector (single-threaded WASM): these figures say what the tests run
// on, not what a pgvector server does.
// Usage: npm run build && node bench/knowledge-pgvector.mjs [chunks=1000] [queries=200]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import { createMigrator } from '../dist/index.js';
import { PgvectorStore } from '../dist/knowledge/index.js';
import { startPostgres } from './lib/services.mjs';

const chunks = Number(process.argv[2] ?? 1000);
const queries = Number(process.argv[3] ?? 200);
const DIMS = 384;
const K = 10;
const BATCH = 32;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
let seed = 7;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const unitVector = () => {
  const v = Array.from(
    { length: DIMS },
    () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand()),
  );
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);

async function startPglite() {
  const require = createRequire(import.meta.url);
  const script = path.join(path.dirname(require.resolve('@electric-sql/pglite-socket')), 'scripts/server.js');
  const child = spawn(process.execPath, [script, '--db=memory://', '--port=0', '--extensions=vector'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // PGLITE_LOG=1: the server's own lines (connections) on stderr.
  child.stdout.on('data', (c) => process.env.PGLITE_LOG && process.stderr.write(c));
  let out = '';
  const port = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`pglite-server exited (${code})`)));
    child.stdout.on('data', (c) => {
      out += c;
      const m = /listening on (\{.*\})/.exec(out);
      if (m) resolve(JSON.parse(m[1]).port);
    });
  });
  return { port, stop: () => child.kill() };
}

const server = await startPostgres();
const pglite = await startPglite();
const connection = { host: '127.0.0.1', port: server.port, user: 'postgres', password: 'bench', database: 'postgres' };
try {
  await createMigrator({ connection }).up();
  const pool = new pg.Pool({ ...connection, max: 4 });
  const one = async (sql, values) => (await pool.query(sql, values)).rows[0].id;
  const tenantId = await one(`INSERT INTO tenants (name) VALUES ('bench') RETURNING id`);
  const datasetId = await one(
    `INSERT INTO datasets (tenant_id, name, indexing_technique, embedding_model, embedding_model_provider, data_source_type)
     VALUES ($1, 'bench', 'high_quality', 'text-embedding-3-small', 'openai', 'upload_file') RETURNING id`,
    [tenantId],
  );
  const documentId = await one(
    `INSERT INTO documents (tenant_id, dataset_id, name, indexing_status, data_source_info) VALUES ($1, $2, 'vectors', 'completed', '{}') RETURNING id`,
    [tenantId, datasetId],
  );
  const { rows } = await pool.query(
    `INSERT INTO document_segments (tenant_id, dataset_id, document_id, position, content, status, index_node_id)
     SELECT $1, $2, $3, n, 'chunk ' || n, 'indexing', gen_random_uuid()::text FROM generate_series(1, $4) AS n RETURNING id`,
    [tenantId, datasetId, documentId, chunks],
  );
  const ids = rows.map((r) => r.id);
  const vectors = ids.map(unitVector);
  const store = new PgvectorStore(pool, {
    host: '127.0.0.1',
    port: pglite.port,
    user: 'postgres',
    password: 'postgres',
    maxConnections: 1,
  });
  const tAdd = performance.now();
  for (let i = 0; i < ids.length; i += BATCH)
    await store.add(
      datasetId,
      ids.slice(i, i + BATCH).map((segmentId, n) => ({ segmentId, vector: vectors[i + n] })),
    );
  const addSeconds = (performance.now() - tAdd) / 1000;

  const times = [];
  let recalled = 0;
  for (let q = 0; q < queries; q++) {
    const query = unitVector();
    const t = performance.now();
    const hits = await store.search(datasetId, query, K);
    times.push(performance.now() - t);
    const exact = new Set(
      ids
        .map((id, i) => ({ id, score: dot(vectors[i], query) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, K)
        .map((h) => h.id),
    );
    recalled += hits.filter((h) => exact.has(h.segmentId)).length;
  }
  console.log(
    [
      `PgvectorStore on PGlite (pgvector in WASM, one connection), ${chunks} chunks × ${DIMS} dimensions, top ${K}, ${queries} queries`,
      '',
      '| add() chunks/s (batches of 32, HNSW maintained) | search() p50 ms | search() p99 ms | recall@10 vs brute force |',
      '|---|---|---|---|',
      `| ${Math.round(chunks / addSeconds)} | ${pct(times, 50).toFixed(2)} | ${pct(times, 99).toFixed(2)} | ${(recalled / (queries * K)).toFixed(3)} |`,
    ].join('\n'),
  );
  await store.close();
  await pool.end();
} finally {
  pglite.stop();
  server.stop();
}
