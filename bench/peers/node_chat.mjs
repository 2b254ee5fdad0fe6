#!/usr/bin/env node
// Node's floor for a blocking `POST /v1/chat-messages`: node:http, pg and undici alone in 2 cluster
// processes, doing the database and model work of a new conversation with no framework, no
// validation and no model SDK behind it. Per request: one row in floor_conversations and one in
// floor_messages (written together with the other requests of the event-loop turn, one statement,
// as difyctl batches them), the question to the model server, the answer written back (batched
// likewise; needs `npm run build`), then Dify's blocking answer. `BENCH_FLOOR=1 node bench/service-api.mjs` runs it beside
// difyctl: what the same work costs this machine before any of difyctl's layers.
// FLOOR_MODEL=ai-sdk asks the model as difyctl's runtime does instead (the AI SDK's OpenAI-compatible
// chat model, its doGenerate, through difyctl's modelFetch from dist/): `BENCH_FLOOR=sdk` runs both
// floors, so the difference between them is what that layer costs.
// PORT=… PGPORT=… PGPASSWORD=… LLM_URL=http://…/v1 [FLOOR_MODEL=ai-sdk] node bench/peers/node_chat.mjs
import { randomUUID } from 'node:crypto';
import cluster from 'node:cluster';
import http from 'node:http';
import pg from 'pg';
import { Agent, request } from 'undici';
import { createCoalescer } from '../../dist/db/coalesce.js';

const connection = { host: '127.0.0.1', port: Number(process.env.PGPORT), user: 'postgres', database: 'postgres' };
const TABLES = `
CREATE TABLE IF NOT EXISTS floor_conversations (
  id uuid PRIMARY KEY, app_id uuid NOT NULL, name text NOT NULL, inputs jsonb NOT NULL,
  from_end_user_id uuid, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS floor_conversations_app_user_idx
  ON floor_conversations (app_id, from_end_user_id, updated_at DESC);
CREATE TABLE IF NOT EXISTS floor_messages (
  id uuid PRIMARY KEY, app_id uuid NOT NULL, conversation_id uuid NOT NULL REFERENCES floor_conversations,
  query text NOT NULL, message jsonb NOT NULL, answer text NOT NULL DEFAULT '',
  message_tokens int NOT NULL DEFAULT 0, answer_tokens int NOT NULL DEFAULT 0,
  latency double precision NOT NULL DEFAULT 0, status text NOT NULL DEFAULT 'normal',
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS floor_messages_conversation_idx ON floor_messages (conversation_id, created_at);
CREATE INDEX IF NOT EXISTS floor_messages_app_idx ON floor_messages (app_id, created_at);`;

/**
 * Calls made during one event-loop turn sent as one statement, by difyctl's own coalescer
 * (src/db/coalesce.ts): `write(rows)` for a turn's calls, the same statement with one row for a lone call.
 */
const perTurn = (write) =>
  createCoalescer({
    one: async (row) => void (await write([row])),
    many: async (rows) => {
      await write(rows);
      return rows.map(() => undefined);
    },
  });

if (cluster.isPrimary) {
  const client = new pg.Client(connection);
  await client.connect();
  await client.query(TABLES);
  await client.end();
  for (let i = 0; i < 2; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
} else {
  // Leave through exit, so that a --cpu-prof profile (BENCH_PROFILE) is written.
  process.on('SIGTERM', () => process.exit(0));
  const db = new pg.Pool({ ...connection, max: 10 });
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const appId = randomUUID();
  const start = perTurn((rows) =>
    db.query(
      `WITH c AS (INSERT INTO floor_conversations (id, app_id, name, inputs, from_end_user_id, status)
                  SELECT cid, $1, '', '{}', $2, 'normal' FROM unnest($3::uuid[]) AS cid)
       INSERT INTO floor_messages (id, app_id, conversation_id, query, message)
       SELECT mid, $1, cid, q, m FROM unnest($4::uuid[], $3::uuid[], $5::text[], $6::jsonb[]) AS v(mid, cid, q, m)`,
      [
        appId,
        randomUUID(),
        rows.map((r) => r.conversationId),
        rows.map((r) => r.messageId),
        rows.map((r) => r.query),
        rows.map((r) => JSON.stringify(r.prompt)),
      ],
    ),
  );
  const finish = perTurn((rows) =>
    db.query(
      `UPDATE floor_messages AS m SET answer = v.answer, answer_tokens = v.tokens, latency = v.latency,
              updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::int[], $4::float8[]) AS v(id, answer, tokens, latency)
        WHERE m.id = v.id`,
      [rows.map((r) => r.id), rows.map((r) => r.answer), rows.map((r) => r.tokens), rows.map((r) => r.latency)],
    ),
  );
  const llm = `${process.env.LLM_URL}/chat/completions`;
  /** The model's answer to `prompt`: its text and token counts. */
  let ask = async (prompt) => {
    const model = await request(llm, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
      body: JSON.stringify({ model: 'bench', messages: prompt, max_tokens: 256 }),
    });
    const completion = await model.body.json();
    const usage = completion.usage ?? {};
    return {
      text: completion.choices[0].message.content,
      promptTokens: usage.prompt_tokens ?? 0,
      completionTokens: usage.completion_tokens ?? 0,
    };
  };
  if (process.env.FLOOR_MODEL === 'ai-sdk') {
    const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
    const { modelFetch } = await import(new URL('../../dist/model-runtime/model-fetch.js', import.meta.url).href);
    const model = createOpenAICompatible({
      name: 'openai_api_compatible',
      baseURL: process.env.LLM_URL,
      apiKey: 'sk-bench',
      includeUsage: true,
      fetch: modelFetch,
    }).chatModel('bench');
    /** V3 counts are objects ({ total, … }); older ones numbers. */
    const count = (n) => (typeof n === 'number' ? n : (n?.total ?? 0));
    ask = async (prompt) => {
      const result = await model.doGenerate({
        prompt: prompt.map((m) =>
          m.role === 'system' ? m : { role: m.role, content: [{ type: 'text', text: m.content }] },
        ),
        maxOutputTokens: 256,
      });
      return {
        text: result.content.map((part) => (part.type === 'text' ? part.text : '')).join(''),
        promptTokens: count(result.usage.inputTokens),
        completionTokens: count(result.usage.outputTokens),
      };
    };
  }

  const answer = async (body, res) => {
    const t0 = performance.now();
    const { query } = JSON.parse(body);
    const ids = { conversationId: randomUUID(), messageId: randomUUID() };
    const prompt = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: query },
    ];
    await start({ ...ids, query, prompt });
    const { text, promptTokens, completionTokens } = await ask(prompt);
    const latency = (performance.now() - t0) / 1000;
    await finish({ id: ids.messageId, answer: text, tokens: completionTokens, latency });
    const out = JSON.stringify({
      event: 'message',
      task_id: randomUUID(),
      id: ids.messageId,
      message_id: ids.messageId,
      conversation_id: ids.conversationId,
      mode: 'chat',
      answer: text,
      metadata: { usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, latency } },
      created_at: Math.floor(Date.now() / 1000),
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  };

  http
    .createServer((req, res) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end('ok');
      }
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        answer(body, res).catch((error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(error));
        });
      });
    })
    .listen(Number(process.env.PORT), '127.0.0.1');
}
