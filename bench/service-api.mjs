#!/usr/bin/env node
// The service API under load, against the LLM stand-in (aimock on loopback):
//  1. time to first byte of a streamed answer through difyctl (POST /v1/chat-messages, streaming,
//     a new conversation each time) minus the same question sent directly to the stand-in,
//     interleaved, sequential;
//  2. blocking chat-messages with 2 api processes, wrk 50 connections, the stand-in answering at once;
//  3. 500 streams open at once (a slow stand-in): RSS of each api process;
//  4. (only when asked: BENCH_PARTS=4) as 2, each request the next message of one of 2,000 earlier
//     conversations in turn (the conversation and its history are read before the model is asked).
// Real PostgreSQL 15 (Debian binaries, durability on) and redis-server on free loopback ports;
// `difyctl serve --mode api` as a process (primary + 2 api processes). Setup goes through the console
// API as a user's would.
// Part 3 runs on a freshly started server, so its "before" is an idle process.
// Usage: npm run build && node bench/service-api.mjs [ttfb-calls=300] [wrk-seconds=10] [streams=500]
//        BENCH_PARTS=1,3 node bench/service-api.mjs …   (only some parts)
//        BENCH_POOL=N       N database connections per api process (SQLALCHEMY_POOL_SIZE, no overflow)
//        BENCH_CONNECTIONS=N  SERVER_WORKER_CONNECTIONS (requests served at once per api process; max(300, streams))
//        BENCH_WORKERS=N    N api processes instead of 2 (SERVER_WORKER_AMOUNT; Dify's .env default is 1)
//        BENCH_PROFILE=DIR  CPU profiles of the server's processes (node --cpu-prof) written to DIR when
//                           they exit; summarise with `node bench/profile-top.mjs DIR/*.cpuprofile`.
//        BENCH_RUNS=N       N measured runs per server in parts 2 and 4 (3); BENCH_WARMUP=S: S seconds of load first (20)
//        BENCH_FLOOR=1      part 2 also against Node's floor (bench/peers/node_chat.mjs), the runs alternating;
//                           BENCH_FLOOR=sdk: and against the floor asking the model through the AI SDK as difyctl does
//        BENCH_BASELINE=DIR part 2 also against the difyctl built in DIR (e.g. a worktree of an earlier commit), alternating
//        BENCH_PG_STATS=1   PostgreSQL's statements by time and planning time (pg_stat_statements) and the HOT share of updates.
//        BENCH_PG_SETTINGS='{"synchronous_commit":"off"}'  more PostgreSQL settings (to see what one would buy).
//        BENCH_NODE_ARGS='--max-semi-space-size=16 --trace-gc'  more Node flags for the server and its api processes.
//        BENCH_STANDIN=bare  parts 2 and 4 ask a bare stand-in instead of aimock: node:http answering every
//                           chat completion with one fixed JSON document (what the model call costs the
//                           machine's shared cores, as a remote provider would not).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LLMock } from '@copilotkit/aimock';
import { childrenOf, cpuSeconds, rssMb, stopped, treeCpu } from './lib/proc.mjs';
import { freePort, serverEnv, sleep, startPostgres, startRedis, waitOk } from './lib/services.mjs';
import { median, wrk } from './lib/wrk.mjs';

const calls = Number(process.argv[2] ?? 300);
const seconds = Number(process.argv[3] ?? 10);
const streams = Number(process.argv[4] ?? 500);
const parts = new Set((process.env.BENCH_PARTS ?? '1,2,3').split(',').map(Number));
/** Parts 2 and 4: measured runs per server, and the seconds of load each server gets first. */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20);
/** Part 4: the conversations whose next messages are asked in turn. */
const CONVERSATIONS = 2000;
const root = fileURLToPath(new URL('..', import.meta.url));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x) => x.toFixed(2);

/** Milliseconds from sending a request to the first body chunk that contains `marker`; the body is read to its end. */
async function firstByte(url, init, marker) {
  const t0 = performance.now();
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  let first;
  const decoder = new TextDecoder();
  for await (const chunk of res.body)
    if (first === undefined && decoder.decode(chunk).includes(marker)) first = performance.now() - t0;
  return first;
}

/**
 * An OpenAI-compatible chat endpoint that answers every request with `reply` at once: whole, or as
 * one SSE chunk and the end when the request asks to stream (the provider's credential check does).
 */
async function bareStandIn(reply) {
  let n = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const head = { id: `chatcmpl-${++n}`, created: Math.floor(Date.now() / 1000), model: 'bench' };
      const usage = { prompt_tokens: 12, completion_tokens: 36, total_tokens: 48 };
      if (/"stream":\s*true/.test(body)) {
        const chunk = {
          ...head,
          object: 'chat.completion.chunk',
          choices: [{ index: 0, delta: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
          usage,
        };
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`);
        return;
      }
      const whole = JSON.stringify({
        ...head,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
        usage,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(whole) });
      res.end(whole);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

const REPLY = 'The quick brown fox jumps over the lazy dog. '.repeat(4).trim();
const SLOW = 'x'.repeat(600);
const mock = new LLMock({ port: 0, host: '127.0.0.1', journalMaxEntries: 100 });
// A long stream for the open-streams test: 600 one-character chunks, 100 ms apart (about a minute).
mock.addFixture({ match: { userMessage: 'Keep talking' }, response: { content: SLOW }, chunkSize: 1, latency: 100 });
mock.addFixture({ match: { endpoint: 'chat' }, response: { content: REPLY } });
const llmUrl = await mock.start();
// BENCH_STANDIN=bare: the blocking parts' model answers from a server that does nothing else.
const bare = process.env.BENCH_STANDIN === 'bare' ? await bareStandIn(REPLY) : undefined;
if (bare && (parts.has(1) || parts.has(3))) throw new Error('BENCH_STANDIN=bare is for parts 2 and 4 only');
const modelUrl = bare?.url ?? llmUrl;
// BENCH_PG_STATS=1: PostgreSQL's own account of the statements (pg_stat_statements), printed at the end.
const pgStats = process.env.BENCH_PG_STATS === '1';
const [pg, redis] = await Promise.all([
  startPostgres({
    settings: {
      ...(pgStats ? { shared_preload_libraries: 'pg_stat_statements' } : {}),
      // BENCH_PG_SETTINGS='{"synchronous_commit":"off"}': more server settings, to see what a change would buy.
      ...JSON.parse(process.env.BENCH_PG_SETTINGS ?? '{}'),
    },
  }),
  startRedis(),
]);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = {
  ...serverEnv({ pg, redis, port }),
  SERVER_WORKER_AMOUNT: process.env.BENCH_WORKERS ?? '2',
  // Room for the 500 open streams (250 per process); Dify's .env default is 10.
  SERVER_WORKER_CONNECTIONS: process.env.BENCH_CONNECTIONS ?? String(Math.max(300, streams)),
  // BENCH_POOL=N: N database connections per api process (no overflow) instead of Dify's 30 + 10.
  SQLALCHEMY_POOL_SIZE: process.env.BENCH_POOL ?? '30',
  SQLALCHEMY_MAX_OVERFLOW: process.env.BENCH_POOL ? '0' : '10',
};
const { createMigrator } = await import(path.join(root, 'dist/db/migrator.js'));
/** The statements PostgreSQL spent the most time on: calls, ms per call, rows per call. */
async function printPgStats() {
  const { default: PG } = await import('pg');
  const client = new PG.Client({
    host: '127.0.0.1',
    port: pg.port,
    user: 'postgres',
    password: 'bench',
    database: 'postgres',
  });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const { rows } = await client.query(
      `SELECT calls, round((total_exec_time / greatest(calls, 1))::numeric, 3) AS ms, round((total_plan_time / greatest(calls, 1))::numeric, 3) AS plan, round(rows::numeric / greatest(calls, 1), 1) AS rows,
              left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query
         FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12`,
    );
    say();
    say('PostgreSQL statements by total time (pg_stat_statements):');
    say('| calls | ms/call | planning ms/call | rows/call | statement |');
    say('|---|---|---|---|---|');
    for (const r of rows) say(`| ${r.calls} | ${r.ms} | ${r.plan} | ${r.rows} | \`${r.query}\` |`);
    // Updates that rewrote no index entry (HOT: the new row version fits the old one's page).
    const tables = await client.query(
      `SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
        WHERE relname IN ('messages', 'conversations') ORDER BY relname`,
    );
    say();
    say('| table | inserts | updates | of them HOT |');
    say('|---|---|---|---|');
    for (const t of tables.rows) say(`| ${t.relname} | ${t.n_tup_ins} | ${t.n_tup_upd} | ${t.n_tup_hot_upd} |`);
  } finally {
    await client.end();
  }
}

let server;
/** Part 2's other servers (Node's floors, BENCH_FLOOR; an earlier difyctl, BENCH_BASELINE), their runs alternating with difyctl's. */
const peers = [];
// Killed (Ctrl-C, a timeout): stop what this script started before leaving.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server?.kill('SIGTERM');
    for (const peer of peers) peer.child.kill('SIGTERM');
    redis.stop();
    pg.stop();
    process.exit(130);
  });
}
// node:cluster forks the api processes with the primary's execArgv: they get these flags too (a profile each).
const nodeArgs = [
  ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}`] : []),
  ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
];
const startServer = async () => {
  server = spawn(process.execPath, [...nodeArgs, path.join(root, 'bin/difyctl.js'), 'serve', '--mode', 'api'], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (
    let i = 0;
    i < 300 &&
    (await fetch(`${base}/health`).then(
      (r) => r.status,
      () => 0,
    )) !== 200;
    i++
  )
    await sleep(100);
};
const stopServer = async () => {
  server?.kill('SIGTERM');
  if (server) await new Promise((r) => server.once('exit', r));
  server = undefined;
};
const lines = [];
const say = (line = '') => {
  lines.push(line);
  console.log(line);
};
try {
  await createMigrator({
    connection: { host: '127.0.0.1', port: pg.port, user: 'postgres', password: 'bench', database: 'postgres' },
  }).up();
  await startServer();
  const call = async (method, route, body, token) => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? {} : res.json();
  };
  const admin = { email: 'bench@example.com', name: 'Bench', password: 'bench-password' };
  await call('POST', '/console/api/setup', admin);
  const token = (await call('POST', '/console/api/login', admin)).data.access_token;
  await call(
    'POST',
    '/console/api/workspaces/current/model-providers/openai_api_compatible/models',
    {
      model: 'bench',
      model_type: 'llm',
      credentials: { endpoint_url: `${modelUrl}/v1`, api_key: 'sk-bench', mode: 'chat', context_size: '16000' },
    },
    token,
  );
  const appId = (await call('POST', '/console/api/apps', { name: 'bench', mode: 'chat' }, token)).id;
  await call(
    'POST',
    `/console/api/apps/${appId}/model-config`,
    {
      model: { provider: 'openai_api_compatible', name: 'bench', mode: 'chat', completion_params: { max_tokens: 256 } },
      pre_prompt: 'You are terse.',
      user_input_form: [],
    },
    token,
  );
  const key = (await call('POST', `/console/api/apps/${appId}/api-keys`, undefined, token)).token;
  const question = (query, mode) =>
    JSON.stringify({ inputs: {}, query, user: 'bench-user', response_mode: mode, auto_generate_name: false });
  say(
    `${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}; PostgreSQL 15 (durability on), redis-server, ${env.SERVER_WORKER_AMOUNT} api processes, SERVER_WORKER_CONNECTIONS=${env.SERVER_WORKER_CONNECTIONS}, SQLALCHEMY_POOL_SIZE=${env.SQLALCHEMY_POOL_SIZE}+${env.SQLALCHEMY_MAX_OVERFLOW}`,
  );

  // 1. Time to first byte of a streamed answer: difyctl minus direct, interleaved.
  if (parts.has(1)) {
    const direct = [];
    const through = [];
    const directInit = {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
      body: JSON.stringify({
        model: 'bench',
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Tell me about foxes.' },
        ],
      }),
    };
    const difyInit = {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: question('Tell me about foxes.', 'streaming'),
    };
    for (let i = 0; i < 30; i++) {
      await firstByte(`${llmUrl}/v1/chat/completions`, directInit, '"content":"');
      await firstByte(`${base}/v1/chat-messages`, difyInit, '"event":"message"');
    }
    for (let i = 0; i < calls; i++) {
      direct.push(await firstByte(`${llmUrl}/v1/chat/completions`, directInit, '"content":"'));
      through.push(await firstByte(`${base}/v1/chat-messages`, difyInit, '"event":"message"'));
    }
    say();
    say(
      `## 1. Time to first byte of a streamed answer (${calls} sequential calls each, after 30 warm-up pairs, load average ${os.loadavg()[0].toFixed(1)}), ms`,
    );
    say('| path | p50 | p90 | p99 |');
    say('|---|---|---|---|');
    say(`| direct to the stand-in | ${ms(pct(direct, 50))} | ${ms(pct(direct, 90))} | ${ms(pct(direct, 99))} |`);
    say(
      `| through difyctl (/v1/chat-messages) | ${ms(pct(through, 50))} | ${ms(pct(through, 90))} | ${ms(pct(through, 99))} |`,
    );
    say(
      `| **added by difyctl** | **${ms(pct(through, 50) - pct(direct, 50))}** | ${ms(pct(through, 90) - pct(direct, 90))} | ${ms(pct(through, 99) - pct(direct, 99))} |`,
    );
  }

  /**
   * wrk -t2 -c50 against POST /v1/chat-messages of each of `targets` (difyctl, and the floor when
   * asked): a warm-up of WARMUP seconds each, then RUNS runs each, the targets' runs alternating so
   * that a change of the machine's speed falls on both; `script` is the wrk Lua that makes each
   * request. Prints the medians and the CPU per request of each process, counted over each target's
   * own runs.
   */
  const difyctl = { name: 'difyctl', base, pid: () => server.pid };
  const blockingLoad = async (title, script, targets = [difyctl]) => {
    const luaDir = mkdtempSync(path.join(os.tmpdir(), 'difyctl-bench-wrk-'));
    const lua = path.join(luaDir, 'post.lua');
    writeFileSync(
      lua,
      `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer ${key}"\n${script}`,
    );
    const load = (target, s) =>
      wrk(['-t2', '-c50', `-d${s}s`, '--latency', '-s', lua, `${target.base}/v1/chat-messages`]);
    // Warm-up, discarded: on a slow instance the api processes' CPU per request still falls for
    // ~20 s of load (JIT, the young generation's growth), and a 3 s warm-up left it in the first run.
    for (const target of targets) await load(target, WARMUP);
    // CPU spent per request, by whom: load-independent where the machine is shared.
    const cpuNow = (target) => {
      const own = process.cpuUsage();
      const bench = (own.user + own.system) / 1e6;
      // This process's figure in /proc counts its reaped children too: the wrk runs.
      return { api: treeCpu(target.pid()), pg: treeCpu(pg.pid()), bench, wrk: cpuSeconds(process.pid) - bench };
    };
    const of = new Map(targets.map((t) => [t, { runs: [], cpu: { api: 0, pg: 0, bench: 0, wrk: 0 } }]));
    for (let i = 0; i < RUNS; i++)
      for (const target of targets) {
        const mine = of.get(target);
        const before = cpuNow(target);
        mine.runs.push(await load(target, seconds));
        const after = cpuNow(target);
        for (const k of Object.keys(mine.cpu)) mine.cpu[k] += after[k] - before[k];
      }
    rmSync(luaDir, { recursive: true, force: true });
    say();
    say(
      `## ${title}, wrk -t2 -c50 -d${seconds}s, instant stand-in (median of ${RUNS} runs after ${WARMUP} s of warm-up${targets.length > 1 ? ', the servers alternating' : ''})`,
    );
    say(
      '| server | req/s | p50 ms | p99 ms | non-2xx | socket errors | CPU ms/req: api | PostgreSQL | stand-in | wrk | runs, req/s |',
    );
    say('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const [target, { runs, cpu }] of of) {
      const served = runs.reduce((n, r) => n + r.rps * seconds, 0);
      const perRequest = (k) => ((cpu[k] * 1000) / served).toFixed(2);
      const mid = (f) => median(runs.map(f));
      say(
        `| ${target.name} | ${Math.round(mid((r) => r.rps))} | ${ms(mid((r) => r.p50))} | ${ms(mid((r) => r.p99))} | ${runs.reduce((n, r) => n + r.non2xx, 0)} | ${[...new Set(runs.map((r) => r.errors))].join('; ')} | ${perRequest('api')} | ${perRequest('pg')} | ${perRequest('bench')} | ${perRequest('wrk')} | ${runs.map((r) => Math.round(r.rps)).join(', ')} |`,
      );
    }
    say();
    say(
      `Load average ${os.loadavg()[0].toFixed(1)}; the stand-in (${bare ? 'bare node:http' : 'aimock'}) runs in this process.`,
    );
  };

  // 2. Blocking chat-messages, each a new conversation.
  const floorModels = { 1: ['undici'], sdk: ['undici', 'ai-sdk'] }[process.env.BENCH_FLOOR] ?? [];
  // One after the other: each floor creates its tables if they are missing.
  for (const model of parts.has(2) ? floorModels : []) {
    const floorPort = await freePort();
    const floor = {
      name: model === 'ai-sdk' ? 'Node floor + AI SDK' : 'Node floor',
      base: `http://127.0.0.1:${floorPort}`,
      child: spawn(process.execPath, [...nodeArgs, path.join(root, 'bench/peers/node_chat.mjs')], {
        env: {
          ...process.env,
          PORT: String(floorPort),
          PGPORT: String(pg.port),
          PGPASSWORD: 'bench',
          LLM_URL: `${modelUrl}/v1`,
          FLOOR_MODEL: model,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      }),
    };
    floor.pid = () => floor.child.pid;
    peers.push(floor);
    await waitOk(`${floor.base}/health`);
  }
  // BENCH_BASELINE=DIR: part 2 also against the difyctl built in DIR (another checkout, e.g. a git
  // worktree of the commit before a change), on the same database: its runs alternate with this one's.
  if (parts.has(2) && process.env.BENCH_BASELINE) {
    const dir = path.resolve(process.env.BENCH_BASELINE);
    const basePort = await freePort();
    const commit = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
    const child = spawn(process.execPath, [...nodeArgs, path.join(dir, 'bin/difyctl.js'), 'serve', '--mode', 'api'], {
      env: { ...env, DIFY_PORT: String(basePort) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    peers.push({ name: `difyctl ${commit || dir}`, base: `http://127.0.0.1:${basePort}`, child, pid: () => child.pid });
    await waitOk(`http://127.0.0.1:${basePort}/health`);
  }
  if (parts.has(2))
    await blockingLoad(
      '2. Blocking POST /v1/chat-messages',
      `wrk.body = ${JSON.stringify(question('Tell me about foxes.', 'blocking'))}\n`,
      [difyctl, ...peers],
    );

  // 4. Blocking chat-messages continuing conversations: each request the next message of one of
  // CONVERSATIONS conversations, in turn (each wrk thread starts at its own half of the list).
  if (parts.has(4)) {
    const ids = [];
    for (let i = 0; i < CONVERSATIONS; i += 25)
      ids.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(25, CONVERSATIONS - i) }, async () => {
            const first = JSON.parse(question('Tell me about foxes.', 'blocking'));
            return (await call('POST', '/v1/chat-messages', first, key)).conversation_id;
          }),
        )),
      );
    const next = JSON.parse(question('And what do they eat?', 'blocking'));
    const [before, after] = JSON.stringify({ ...next, conversation_id: '@' }).split('"@"');
    await blockingLoad(
      `4. Blocking POST /v1/chat-messages, the next message of ${CONVERSATIONS} conversations in turn`,
      `local ids = {${ids.map((id) => `"${id}"`).join(',')}}
local threads = 0
function setup(thread) thread:set("offset", threads * ${Math.floor(CONVERSATIONS / 2)}); threads = threads + 1 end
local i = 0
function request()
  i = i + 1
  local id = ids[((offset or 0) + i) % #ids + 1]
  return wrk.format(nil, nil, nil, ${JSON.stringify(before)} .. '"' .. id .. '"' .. ${JSON.stringify(after)})
end
`,
    );
  }

  // 3. Many streams open at once, on a fresh server: RSS of each api process.
  if (parts.has(3)) {
    await stopServer();
    await startServer();
    await fetch(`${base}/v1/chat-messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: question('Tell me about foxes.', 'blocking'),
    });
    const workers = childrenOf(server.pid);
    const before = workers.map(rssMb);
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const open = [];
    /** Opens one stream; resolves at its first message event. A refused open (503) is retried and counted. */
    let refused = 0;
    const openStream = (i, attempt = 0) =>
      new Promise((resolve, reject) => {
        const req = http.request(
          `${base}/v1/chat-messages`,
          { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } },
          (res) => {
            if (res.statusCode !== 200) {
              res.resume();
              if (res.statusCode === 503 && attempt < 5) {
                refused++;
                resolve(sleep(500).then(() => openStream(i, attempt + 1)));
              } else reject(new Error(`stream ${i}: ${res.statusCode}`));
              return;
            }
            let seen = false;
            res.on('data', (chunk) => {
              if (!seen && String(chunk).includes('"event":"message"')) {
                seen = true;
                resolve();
              }
            });
            res.on('error', () => {});
            // An error event instead of an answer (the server could not start the generation): retried too.
            res.on('end', () => {
              if (seen) return;
              if (attempt < 5) {
                refused++;
                resolve(sleep(500).then(() => openStream(i, attempt + 1)));
              } else reject(new Error(`stream ${i} ended before its first message event`));
            });
          },
        );
        req.on('error', (error) => reject(error));
        req.end(question('Keep talking', 'streaming'));
        open.push(req);
      });
    // Opened in waves of 25 (clients arrive over time; a burst of 500 new conversations at once only
    // measures the database pool's queue), all kept open.
    const t0 = performance.now();
    for (let i = 0; i < streams; i += 25)
      await Promise.all(Array.from({ length: Math.min(25, streams - i) }, (_, j) => openStream(i + j)));
    const openedMs = performance.now() - t0;
    await sleep(2000); // let the streams run a while with all of them open
    const during = workers.map(rssMb);
    for (const req of open) req.destroy();
    say();
    say(`## 3. ${streams} streams open at once (each a new conversation; the stand-in sends 1 character every 100 ms)`);
    say(
      `Opened in waves of 25; all ${streams} had their first message event after ${Math.round(openedMs)} ms and stayed open (${refused} opens were refused (503 or an error event) and retried; load average ${os.loadavg()[0].toFixed(1)}).`,
    );
    say('| api process | RSS before, MB | RSS with the streams open, MB |');
    say('|---|---|---|');
    for (const [i, pid] of workers.entries())
      say(`| ${i + 1} (pid ${pid}) | ${before[i].toFixed(1)} | ${during[i].toFixed(1)} |`);
    say(`| primary (pid ${server.pid}) | | ${rssMb(server.pid).toFixed(1)} |`);
  }
  if (pgStats) await printPgStats();
} finally {
  await stopServer();
  for (const peer of peers) {
    peer.child.kill('SIGTERM');
    await stopped(peer.child);
  }
  await mock.stop();
  bare?.server.closeAllConnections();
  bare?.server.close();
  redis.stop();
  pg.stop();
}
