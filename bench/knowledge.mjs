#!/usr/bin/env node
// Knowledge (issue 12): the default vector store (PostgresVectorStore: `document_segments.embedding`
// real[] in the stack's PostgreSQL, searched exactly in-process over a Float32Array cache).
//  1. retrieval latency p50/p99 of store.search() (the dataset-version check query + the exact scan)
//     and of the scan alone, at 10k and 100k chunks of 384 dimensions (seeded random unit vectors
//     written straight into document_segments), N queries each on a warm cache; and the first (cold)
//     load of the 100k vectors (fresh pool: version query, SELECT of 100k real[] rows, Float32Array);
//  2. recall@10 of store.search() against an exact brute force computed here (float64 cosine);
//  3. indexing throughput, chunks/s, through the real indexing path in-process: indexDocument()
//     (parse → clean → split with the model runtime's token counter → replace segments → embed in
//     batches of 32 through the model runtime → store.add → completed), the embeddings served by the
//     LLM stand-in (aimock on loopback, answers at once). Only the queue (pg-boss / Redis) is skipped.
// Real PostgreSQL 15 (Debian binaries, durability on) on a free loopback port.
// Usage: npm run build && node bench/knowledge.mjs [queries=200] [index-docs=20]
import { LLMock } from '@copilotkit/aimock';
import pg from 'pg';
import { createMigrator, createModelRuntime } from '../dist/index.js';
import { indexDocument, PostgresVectorStore, touchVectors } from '../dist/knowledge/index.js';
import { startPostgres } from './lib/services.mjs';

const queries = Number(process.argv[2] ?? 200);
const indexDocs = Number(process.argv[3] ?? 20);
const DIMS = 384;
const SIZES = [10_000, 100_000];
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
const unitVector = () => {
  const v = new Float32Array(DIMS);
  let n = 0;
  for (let i = 0; i < DIMS; i++) {
    const x = Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
    v[i] = x;
    n += x * x;
  }
  n = Math.sqrt(n);
  for (let i = 0; i < DIMS; i++) v[i] /= n;
  return v;
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

  // --- 1 and 2: retrieval --------------------------------------------------------------------------
  const max = Math.max(...SIZES);
  const vectors = Array.from({ length: max }, unitVector);
  const queryVectors = Array.from({ length: queries }, unitVector);
  const datasets = {};
  const ids = {};
  const tWrite = performance.now();
  for (const size of SIZES) {
    const datasetId = await newDataset(`bench-${size}`);
    const documentId = await newDocument(datasetId, `vectors-${size}`);
    await pool.query(`UPDATE documents SET indexing_status = 'completed', completed_at = now() WHERE id = $1`, [
      documentId,
    ]);
    for (let from = 0; from < size; from += 2000) {
      const batch = vectors.slice(from, Math.min(size, from + 2000));
      await pool.query(
        `INSERT INTO document_segments (tenant_id, dataset_id, document_id, position, content, status, completed_at, embedding)
         SELECT $1, $2, $3, $4 + t.n, 'chunk ' || ($4 + t.n), 'completed', now(), t.e::real[]
         FROM unnest($5::text[]) WITH ORDINALITY AS t(e, n)`,
        [tenantId, datasetId, documentId, from, batch.map((v) => `{${Array.prototype.join.call(v, ',')}}`)],
      );
    }
    const { rows } = await pool.query('SELECT id FROM document_segments WHERE dataset_id = $1 ORDER BY position', [
      datasetId,
    ]);
    ids[size] = rows.map((r) => r.id);
    await touchVectors(pool, datasetId);
    datasets[size] = datasetId;
  }
  console.error(`wrote ${SIZES.join(' + ')} vectors in ${((performance.now() - tWrite) / 1000).toFixed(1)} s`);

  say(
    `Retrieval, default vector store (exact in-process scan), ${DIMS} dimensions, top ${K}, ${queries} queries each on a warm cache (ms)`,
    '',
    '| chunks | cold load (first search) | search() p50 | search() p99 | scan only p50 | scan only p99 | recall@10 vs brute force |',
    '|---|---|---|---|---|---|---|',
  );
  for (const size of SIZES) {
    // A fresh pool is a fresh cache (the store's cache is per pool): the first search loads the vectors.
    const fresh = new pg.Pool({ ...connection, max: 2 });
    const store = new PostgresVectorStore(fresh);
    const datasetId = datasets[size];
    const t0 = performance.now();
    await store.search(datasetId, Array.from(queryVectors[0]), K);
    const cold = performance.now() - t0;
    for (let i = 0; i < 20; i++) await store.search(datasetId, Array.from(queryVectors[i % queries]), K);
    const full = [];
    const scan = [];
    const found = [];
    const entry = await store.load(datasetId); // the cached entry (a private method: the scan alone is timed below)
    for (let i = 0; i < queries; i++) {
      const q = Array.from(queryVectors[i]);
      const a = performance.now();
      const hits = await store.search(datasetId, q, K);
      const b = performance.now();
      store.nearest(entry, q, K);
      scan.push(performance.now() - b);
      full.push(b - a);
      found.push(hits.map((h) => h.segmentId));
    }
    let recall = 0;
    for (let i = 0; i < queries; i++) {
      const exact = new Set(bruteForce(vectors, ids[size], size, queryVectors[i]));
      recall += found[i].filter((id) => exact.has(id)).length / K;
    }
    recall /= queries;
    say(
      `| ${size.toLocaleString('en')} | ${ms(cold)} | ${ms(pct(full, 50))} | ${ms(pct(full, 99))} | ${ms(pct(scan, 50))} | ${ms(pct(scan, 99))} | ${recall.toFixed(3)} |`,
    );
    console.error(`${size}: done`);
    await fresh.end();
  }

  // --- 3: indexing throughput ------------------------------------------------------------------------
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
    `SELECT count(*)::int AS n, sum(tokens)::int AS tokens, min(array_length(embedding, 1)) AS dims
     FROM document_segments WHERE document_id = ANY($1) AND embedding IS NOT NULL AND status = 'completed'`,
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
  await pool.end();
} finally {
  server.stop();
  await mock.stop();
}
