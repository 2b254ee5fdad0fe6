#!/usr/bin/env node
// Knowledge (issue 12): the default vector store (PostgresVectorStore: `document_segments.embedding_f32`,
// float32 bytes in the stack's PostgreSQL; each api process keeps a dataset in memory — an int8 copy
// scanned by usearch's native SIMD kernel, the best RERANK_FACTOR × top k re-ranked exactly in float32 —
// current from the `vector_changes` log).
//  1. per size (seeded random unit vectors of 384 dimensions written straight into document_segments;
//     with `clustered`, also a dataset of vectors around 1 000 centres, like real embeddings):
//     the cold load (fresh pool: the first search reads every vector as bytes), the in-memory build
//     alone (float32 vectors → unit vectors + int8 rows: what the cold load spends after the transfer),
//     store.search() p50/p99 (the change-log query + the scan), the int8 scan + re-rank alone, and the
//     exact float32 scan in JavaScript (the earlier path) alone, for comparison;
//  2. recall@10 of store.search() against an exact brute force computed here (float64 cosine);
//  3. one incremental update seen by a reader: a writer (its own pool, another api process) adds 32
//     vectors of a new document, then the reader's next search (change log → 32 rows → int8 rows);
//  4. indexing throughput, chunks/s, through the real indexing path in-process: indexDocument()
//     (parse → clean → split with the model runtime's token counter → replace segments → embed in
//     batches of 32 through the model runtime → store.add → completed), the embeddings served by the
//     LLM stand-in (aimock on loopback, answers at once). Only the queue (pg-boss / Redis) is skipped.
// Real PostgreSQL 15 (Debian binaries, durability on) on a free loopback port.
// Usage: npm run build && node bench/knowledge.mjs [queries=200] [index-docs=20] [sizes=10000,100000] [clustered]
//   (index-docs=0 skips 4; a short check: node bench/knowledge.mjs 50 2 10000)
import { LLMock } from '@copilotkit/aimock';
import pg from 'pg';
import { createMigrator, createModelRuntime } from '../dist/index.js';
import { indexDocument, PostgresVectorStore, RERANK_FACTOR, touchVectors } from '../dist/knowledge/index.js';
import { DatasetVectors } from '../dist/knowledge/stores/dataset-vectors.js';
import { toF32Bytes } from '../dist/knowledge/stores/postgres.js';
import { startPostgres } from './lib/services.mjs';

const queries = Number(process.argv[2] ?? 200);
const indexDocs = Number(process.argv[3] ?? 20);
const DIMS = 384;
const SIZES = (process.argv[4] ?? '10000,100000').split(',').map(Number);
const KINDS = process.argv[5] === 'clustered' ? ['random', 'clustered'] : ['random'];
const UPDATES = 20;
const K = 10;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x) => x.toFixed(2);

// Seeded PRNG (mulberry32) and Box-Muller normals: random unit vectors, the same on every run.
let seed = 12;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
const normalise = (v) => {
  let n = 0;
  for (let i = 0; i < DIMS; i++) n += v[i] * v[i];
  n = Math.sqrt(n);
  for (let i = 0; i < DIMS; i++) v[i] /= n;
  return v;
};
const unitVector = () => normalise(Float32Array.from({ length: DIMS }, gauss));
// Clustered: around 1 000 random centres, noise of norm ~0.6 (cosine to the centre ~0.86).
let centres;
const clusteredVector = () => {
  centres ??= Array.from({ length: 1000 }, unitVector);
  const c = centres[Math.floor(rand() * centres.length)];
  return normalise(Float32Array.from(c, (x) => x + 0.03 * gauss()));
};

/** The exact top K by cosine (float64), ids. */
function bruteForce(vectors, ids, count, q) {
  const best = [];
  let qn = 0;
  for (let j = 0; j < DIMS; j++) qn += q[j] * q[j];
  qn = Math.sqrt(qn);
  for (let i = 0; i < count; i++) {
    const v = vectors[i];
    let dot = 0;
    let vn = 0;
    for (let j = 0; j < DIMS; j++) {
      dot += v[j] * q[j];
      vn += v[j] * v[j];
    }
    const score = dot / (qn * Math.sqrt(vn));
    if (best.length < K || score > best[best.length - 1].score) {
      best.push({ id: ids[i], score });
      best.sort((a, b) => b.score - a.score);
      if (best.length > K) best.pop();
    }
  }
  return best.map((b) => b.id);
}

const mock = new LLMock({ port: 0, host: '127.0.0.1' });
// The credential check asks for a chat answer; embeddings are aimock's deterministic vectors.
mock.addFixture({ match: { endpoint: 'chat' }, response: { content: 'ok' } });
const llmUrl = await mock.start();
const server = await startPostgres();
const connection = { host: '127.0.0.1', port: server.port, user: 'postgres', password: 'bench', database: 'postgres' };
const say = (...lines) => console.log(lines.join('\n'));
try {
  await createMigrator({ connection }).up();
  const pool = new pg.Pool({ ...connection, max: 10 });
  const tenantId = (await pool.query(`INSERT INTO tenants (name) VALUES ('bench') RETURNING id`)).rows[0].id;
  const newDataset = async (name) =>
    (
      await pool.query(
        `INSERT INTO datasets (tenant_id, name, indexing_technique, embedding_model, embedding_model_provider, data_source_type)
         VALUES ($1, $2, 'high_quality', 'text-embedding-3-small', 'openai', 'upload_file') RETURNING id`,
        [tenantId, name],
      )
    ).rows[0].id;
  const newDocument = async (datasetId, name, text = null) =>
    (
      await pool.query(
        `INSERT INTO documents (tenant_id, dataset_id, name, source_text, data_source_info) VALUES ($1, $2, $3, $4, '{"extension": "txt"}') RETURNING id`,
        [tenantId, datasetId, name, text],
      )
    ).rows[0].id;

  // --- 1, 2 and 3: retrieval ------------------------------------------------------------------------
  const max = Math.max(...SIZES);
  const data = {};
  for (const kind of KINDS) {
    const make = kind === 'random' ? unitVector : clusteredVector;
    data[kind] = { vectors: Array.from({ length: max }, make), queries: Array.from({ length: queries }, make) };
  }
  const runs = [];
  const tWrite = performance.now();
  for (const kind of KINDS) {
    for (const size of SIZES) {
      const { vectors } = data[kind];
      const datasetId = await newDataset(`bench-${kind}-${size}`);
      const documentId = await newDocument(datasetId, `vectors-${size}`);
      await pool.query(`UPDATE documents SET indexing_status = 'completed', completed_at = now() WHERE id = $1`, [
        documentId,
      ]);
      for (let from = 0; from < size; from += 2000) {
        const batch = vectors.slice(from, Math.min(size, from + 2000));
        await pool.query(
          `INSERT INTO document_segments (tenant_id, dataset_id, document_id, position, content, status, completed_at, embedding_f32)
           SELECT $1, $2, $3, $4 + t.n, 'chunk ' || ($4 + t.n), 'completed', now(), t.e
           FROM unnest($5::bytea[]) WITH ORDINALITY AS t(e, n)`,
          [tenantId, datasetId, documentId, from, batch.map((v) => toF32Bytes(v))],
        );
      }
      const { rows } = await pool.query('SELECT id FROM document_segments WHERE dataset_id = $1 ORDER BY position', [
        datasetId,
      ]);
      await touchVectors(pool, datasetId);
      runs.push({ kind, size, datasetId, ids: rows.map((r) => r.id) });
    }
  }
  console.error(
    `wrote ${runs.map((r) => r.size).join(' + ')} vectors in ${((performance.now() - tWrite) / 1000).toFixed(1)} s`,
  );

  say(
    `Retrieval, default vector store (usearch int8 scan, top ${RERANK_FACTOR} × k re-ranked in float32), ${DIMS} dimensions, top ${K}, ${queries} queries each on a warm cache (ms)`,
    '',
    '| data | chunks | cold load (first search) | in-memory build (int8 rows) | search() p50 | search() p99 | int8 scan + re-rank p50 | p99 | exact JS scan p50 | p99 | recall@10 vs brute force | update: 32 vectors, next search p50 / p99 |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  const writer = new PostgresVectorStore(pool);
  for (const { kind, size, datasetId, ids } of runs) {
    const { vectors, queries: queryVectors } = data[kind];
    // A fresh pool is a fresh cache (the store's cache is per pool): the first search loads the vectors.
    const fresh = new pg.Pool({ ...connection, max: 2 });
    const store = new PostgresVectorStore(fresh);
    const t0 = performance.now();
    await store.search(datasetId, Array.from(queryVectors[0]), K);
    const cold = performance.now() - t0;
    const entry = store.cached(datasetId);
    // The in-memory part of the cold load alone: the same vectors into a new DatasetVectors.
    const t1 = performance.now();
    const built = new DatasetVectors('0');
    built.reserve(size, DIMS);
    for (let i = 0; i < size; i++) built.upsert({ id: ids[i], documentId: 'd', vector: vectors[i] });
    const build = performance.now() - t1;
    for (let i = 0; i < 20; i++) await store.search(datasetId, Array.from(queryVectors[i % queries]), K);
    const full = [];
    const alone = [];
    const exact = [];
    const found = [];
    for (let i = 0; i < queries; i++) {
      const q = Array.from(queryVectors[i]);
      const a = performance.now();
      const hits = await store.search(datasetId, q, K);
      const b = performance.now();
      entry.search(q, K);
      const c = performance.now();
      entry.exact(queryVectors[i], K);
      exact.push(performance.now() - c);
      alone.push(c - b);
      full.push(b - a);
      found.push(hits.map((h) => h.segmentId));
    }
    let recall = 0;
    for (let i = 0; i < queries; i++) {
      const truth = new Set(bruteForce(vectors, ids, size, queryVectors[i]));
      recall += found[i].filter((id) => truth.has(id)).length / K;
    }
    recall /= queries;
    // One incremental update as a reader sees it: the writer's 32 vectors, then the reader's next search.
    const updates = [];
    const deltasBefore = store.stats.deltaLoads;
    for (let u = 0; u < UPDATES; u++) {
      const documentId = await newDocument(datasetId, `update-${u}`);
      const { rows } = await pool.query(
        `INSERT INTO document_segments (tenant_id, dataset_id, document_id, position, content, status)
         SELECT $1, $2, $3, n, 'new ' || n, 'indexing' FROM generate_series(1, 32) AS n RETURNING id`,
        [tenantId, datasetId, documentId],
      );
      const added = rows.map((r) => ({ segmentId: r.id, vector: Array.from(unitVector()) }));
      await writer.add(datasetId, added);
      const a = performance.now();
      const hits = await store.search(datasetId, added[0].vector, 1);
      updates.push(performance.now() - a);
      if (hits[0]?.segmentId !== added[0].segmentId) throw new Error('the reader did not find the new vector');
    }
    if (store.stats.deltaLoads - deltasBefore !== UPDATES) throw new Error('an update was not applied as a delta');
    say(
      `| ${kind} | ${size.toLocaleString('en')} | ${ms(cold)} | ${ms(build)} | ${ms(pct(full, 50))} | ${ms(pct(full, 99))} | ${ms(pct(alone, 50))} | ${ms(pct(alone, 99))} | ${ms(pct(exact, 50))} | ${ms(pct(exact, 99))} | ${recall.toFixed(3)} | ${ms(pct(updates, 50))} / ${ms(pct(updates, 99))} |`,
    );
    console.error(`${kind} ${size}: done`);
    await fresh.end();
  }
  if (indexDocs) await indexingThroughput(pool, tenantId, newDataset, newDocument);
  await pool.end();
} finally {
  server.stop();
  await mock.stop();
}

// --- 4: indexing throughput ------------------------------------------------------------------------
async function indexingThroughput(pool, tenantId, newDataset, newDocument) {
  const runtime = await createModelRuntime({ pool, secretKey: 'bench-secret-key' });
  await runtime.console.createProviderCredential(tenantId, 'openai', {
    credentials: { openai_api_key: 'sk-bench', openai_api_base: llmUrl },
  });
  await runtime.warmUp();
  const store = new PostgresVectorStore(pool);
  const indexing = await newDataset('bench-indexing');
  // About 150 words a paragraph, newline-separated, split by the automatic rule (500 tokens,
  // overlap 50): about 300 chunks a document.
  const words = 'knowledge retrieval vector index segment embedding document dataset search answer'.split(' ');
  const paragraph = (n) =>
    `${Array.from({ length: 150 }, (_, i) => words[(i * 7 + n) % words.length]).join(' ')} paragraph ${n}.`;
  const text = (d) => Array.from({ length: 400 }, (_, n) => paragraph(d * 1000 + n)).join('\n');
  const docIds = [];
  for (let d = 0; d < indexDocs + 1; d++) docIds.push(await newDocument(indexing, `doc-${d}`, text(d)));
  const deps = { pool, runtime, store };
  if ((await indexDocument(deps, docIds[0])) !== 'completed') throw new Error('warm-up document did not complete');
  const t1 = performance.now();
  for (const id of docIds.slice(1)) {
    const status = await indexDocument(deps, id);
    if (status !== 'completed') throw new Error(`document ${id}: ${status}`);
  }
  const seconds = (performance.now() - t1) / 1000;
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n, sum(tokens)::int AS tokens, min(length(embedding_f32) / 4) AS dims
     FROM document_segments WHERE document_id = ANY($1) AND embedding_f32 IS NOT NULL AND status = 'completed'`,
    [docIds.slice(1)],
  );
  const embedRequests = mock.getRequests().filter((r) => r.path === '/v1/embeddings').length;
  say(
    '',
    `Indexing through indexDocument() in-process, ${indexDocs} documents of 400 paragraphs one after another, automatic rule, embeddings from the stand-in (${rows[0].dims} dimensions, ${embedRequests} embedding requests in all)`,
    '',
    '| chunks | tokens | seconds | chunks/s |',
    '|---|---|---|---|',
    `| ${rows[0].n} | ${rows[0].tokens} | ${seconds.toFixed(2)} | ${(rows[0].n / seconds).toFixed(0)} |`,
  );
}
