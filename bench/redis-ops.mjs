#!/usr/bin/env node
// Redis operations per request (issue 15's sizing table): one `difyctl serve --mode api` process on
// a throwaway PostgreSQL and Redis, N requests of each kind, Redis's INFO commandstats before and
// after: commands per request by name. Not a timing: the count is the same on any machine.
//
// Usage: npm run build && node bench/redis-ops.mjs [requests=200]
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, serverEnv, sleep, startPostgres, startRedis } from './lib/services.mjs';

const requests = Number(process.argv[2] ?? 200);
const root = fileURLToPath(new URL('..', import.meta.url));

/** INFO commandstats as { command: calls }, over a raw RESP connection. */
function commandStats(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('INFO commandstats\r\n'));
    let data = '';
    socket.on('data', (d) => {
      data += d;
      const header = /^\$(\d+)\r\n/.exec(data);
      if (header && Buffer.byteLength(data) >= header[0].length + Number(header[1])) {
        socket.end();
        const stats = {};
        for (const m of data.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats[m[1]] = Number(m[2]);
        resolve(stats);
      }
    });
    socket.on('error', reject);
  });
}

const delta = (after, before) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)])
      .filter(([k, v]) => v > 0 && k !== 'info'),
  );

const { LLMock } = await import('@copilotkit/aimock');
const llm = new LLMock({ port: 0, host: '127.0.0.1' });
llm.addFixture({ match: { endpoint: 'chat' }, response: { content: 'Hello from the stand-in.' } });
const llmUrl = await llm.start();
const pg = await startPostgres();
const redis = await startRedis();
const port = await freePort();
const server = spawn(process.execPath, [path.join(root, 'bin/difyctl.js'), 'serve', '--mode', 'api'], {
  env: { ...serverEnv({ pg, redis, port }), SERVER_WORKER_AMOUNT: '1' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const base = `http://127.0.0.1:${port}`;
const rows = [];
try {
  const { createMigrator } = await import(path.join(root, 'dist/db/migrator.js'));
  await createMigrator({
    connection: { host: '127.0.0.1', port: pg.port, user: 'postgres', password: 'bench', database: 'postgres' },
  }).up();
  for (let i = 0; ; i++) {
    if ((await fetch(`${base}/health`).catch(() => undefined))?.status === 200) break;
    if (i > 300) throw new Error('the server did not start');
    await sleep(100);
  }
  const call = async (method, route, body, token) => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return res.json();
  };
  const admin = { email: 'bench@example.com', name: 'Bench', password: 'bench-password' };
  await call('POST', '/console/api/setup', admin);
  const token = (await call('POST', '/console/api/login', admin)).data.access_token;
  await call(
    'POST',
    '/console/api/workspaces/current/model-providers/openai_api_compatible/models',
    {
      model: 'stand-in',
      model_type: 'llm',
      credentials: { endpoint_url: `${llmUrl}/v1`, api_key: 'sk-bench', mode: 'chat', context_size: '16000' },
    },
    token,
  );
  const app = await call('POST', '/console/api/apps', { name: 'ops', mode: 'chat' }, token);
  const model = { provider: 'openai_api_compatible', name: 'stand-in', mode: 'chat', completion_params: {} };
  await call('POST', `/console/api/apps/${app.id}/model-config`, { model, pre_prompt: 'Be brief.' }, token);
  const key = (await call('POST', `/console/api/apps/${app.id}/api-keys`, undefined, token)).token;
  const limited = await call('POST', '/console/api/apps', { name: 'limited', mode: 'chat' }, token);
  await call('PUT', `/console/api/apps/${limited.id}`, { api_rpm: 1000000, api_rph: 10000000 }, token);
  const limitedKey = (await call('POST', `/console/api/apps/${limited.id}/api-keys`, undefined, token)).token;
  const chat = (mode) =>
    call(
      'POST',
      '/v1/chat-messages',
      { inputs: {}, query: 'Hi', user: 'bench', response_mode: mode, auto_generate_name: false },
      key,
    ).then((r) => (mode === 'blocking' && !r.answer ? Promise.reject(new Error(JSON.stringify(r))) : r));
  const kinds = [
    ['GET /health', () => fetch(`${base}/health`).then((r) => r.text())],
    ['GET /console/api/apps (JWT)', () => call('GET', '/console/api/apps', undefined, token)],
    ['GET /v1/parameters (app key)', () => call('GET', '/v1/parameters', undefined, key)],
    ['GET /v1/parameters (key with api_rpm, api_rph)', () => call('GET', '/v1/parameters', undefined, limitedKey)],
    ['POST /v1/chat-messages (blocking, new conversation)', () => chat('blocking')],
  ];
  for (const [name, request] of kinds) {
    await request(); // caches warm: the steady state is what sizing needs
    const before = await commandStats(redis.port);
    for (let i = 0; i < requests; i++) await request();
    const used = delta(await commandStats(redis.port), before);
    const total = Object.values(used).reduce((a, b) => a + b, 0);
    rows.push({
      request: name,
      'Redis ops/request': Number((total / requests).toFixed(2)),
      commands: Object.entries(used)
        .map(([k, v]) => `${k} ${(v / requests).toFixed(2)}`)
        .join(', '),
    });
  }
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => (server.exitCode !== null ? r() : server.once('exit', r)));
  redis.stop();
  pg.stop();
  await llm.stop();
}
console.log(`${requests} requests of each kind, one api process, steady state (after one warm-up request)`);
console.table(rows);
