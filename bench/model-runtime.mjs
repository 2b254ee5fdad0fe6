#!/usr/bin/env node
// Model runtime overhead: time to the first streamed token and to the whole answer through
// runtime.invokeLlm (credentials lookup, AI SDK provider, usage) minus the same request sent directly to the
// LLM stand-in (aimock on loopback), interleaved, sequential; then 50 concurrent calls; then token
// counting speed. Real PostgreSQL 15 (Debian binaries) for the credentials.
// Usage: npm run build && node bench/model-runtime.mjs [calls=300]
import { LLMock } from '@copilotkit/aimock';
import pg from 'pg';
import { createMigrator, createModelRuntime } from '../dist/index.js';
import { startPostgres } from './lib/services.mjs';

const calls = Number(process.argv[2] ?? 300);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const row = (name, xs) =>
  `| ${name} | ${pct(xs, 50).toFixed(2)} | ${pct(xs, 90).toFixed(2)} | ${pct(xs, 99).toFixed(2)} |`;

const REPLY = 'The quick brown fox jumps over the lazy dog. '.repeat(4).trim();
const mock = new LLMock({ port: 0, host: '127.0.0.1' });
mock.addFixture({ match: { endpoint: 'chat' }, response: { content: REPLY } });
const url = await mock.start();
const server = await startPostgres({ settings: { fsync: 'off' } });
const connection = { host: '127.0.0.1', port: server.port, user: 'postgres', password: 'bench', database: 'postgres' };
try {
  await createMigrator({ connection }).up();
  const pool = new pg.Pool({ ...connection, max: 10 });
  const tenantId = (await pool.query(`INSERT INTO tenants (name) VALUES ('bench') RETURNING id`)).rows[0].id;
  const runtime = await createModelRuntime({ pool, secretKey: 'bench-secret-key' });
  await runtime.console.createModelCredential(tenantId, 'openai_api_compatible', {
    model: 'bench',
    type: 'llm',
    credentials: { endpoint_url: `${url}/v1`, api_key: 'sk-bench', mode: 'chat' },
  });
  await runtime.warmUp();
  const messages = [{ role: 'user', content: 'Tell me about foxes.' }];

  async function direct() {
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
      body: JSON.stringify({ model: 'bench', stream: true, stream_options: { include_usage: true }, messages }),
    });
    let first;
    const decoder = new TextDecoder();
    for await (const chunk of res.body)
      if (first === undefined && decoder.decode(chunk).includes('"content":"T')) first = performance.now() - t0;
    return [first ?? performance.now() - t0, performance.now() - t0];
  }
  async function viaRuntime() {
    const t0 = performance.now();
    const call = runtime.invokeLlm({ tenantId, provider: 'openai_api_compatible', model: 'bench', messages });
    let first;
    for await (const _ of call.textStream) first ??= performance.now() - t0;
    await call.result;
    return [first, performance.now() - t0];
  }
  for (let i = 0; i < 20; i++) {
    await direct();
    await viaRuntime();
  }
  const d = { first: [], all: [] };
  const r = { first: [], all: [] };
  for (let i = 0; i < calls; i++) {
    const [a, b] = await direct();
    d.first.push(a);
    d.all.push(b);
    const [c, e] = await viaRuntime();
    r.first.push(c);
    r.all.push(e);
  }
  console.log(
    `${calls} sequential streamed calls each, interleaved (ms)\n\n| path | p50 | p90 | p99 |\n|---|---|---|---|`,
  );
  console.log(row('direct: first token', d.first));
  console.log(row('runtime: first token', r.first));
  console.log(row('direct: whole answer', d.all));
  console.log(row('runtime: whole answer', r.all));
  console.log(
    `\nadded p50: first token ${(pct(r.first, 50) - pct(d.first, 50)).toFixed(2)} ms, whole answer ${(pct(r.all, 50) - pct(d.all, 50)).toFixed(2)} ms`,
  );

  // 50 calls in flight at a time (the stand-in itself resets connections past a few hundred).
  const t0 = performance.now();
  for (let round = 0; round < 10; round++) {
    await Promise.all(
      Array.from(
        { length: 50 },
        () => runtime.invokeLlm({ tenantId, provider: 'openai_api_compatible', model: 'bench', messages }).result,
      ),
    );
  }
  console.log(
    `\n500 blocking calls, 50 in flight: ${(500 / ((performance.now() - t0) / 1000)).toFixed(0)} calls/s (one process)`,
  );

  const text = 'Dify is an open-source LLM app development platform. '.repeat(200);
  const tokens = runtime.countTokens(text);
  const t1 = performance.now();
  for (let i = 0; i < 50; i++) runtime.countTokens(text);
  console.log(`countTokens: ${tokens} tokens in ${((performance.now() - t1) / 50).toFixed(2)} ms`);
  await pool.end();
} finally {
  server.stop();
  await mock.stop();
}
