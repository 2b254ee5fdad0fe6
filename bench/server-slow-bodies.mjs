#!/usr/bin/env node
// Issue 13, bug 2: N slow-body connections (headers sent, then one byte of a 1000-byte body every
// 5 s) against one api process with Dify's SERVER_WORKER_CONNECTIONS=10. While they are open,
// GET /health and an authenticated GET /console/api/apps are timed (sequential, keep-alive), and
// compared with the same requests on the idle server. Then it waits for the server to cut the slow
// bodies (408 after the 60 s request bound) and reports how many got the 408.
// Real PostgreSQL 15 (Debian binaries) and redis-server on free loopback ports.
// Usage: npm run build && node bench/server-slow-bodies.mjs [slow=1000] [requests=1000] [bin=bin/difyctl.js]
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { consoleAdmin, freePort, serverEnv, sleep, startPostgres, startRedis, waitOk } from './lib/services.mjs';

const slowCount = Number(process.argv[2] ?? 1000);
const requests = Number(process.argv[3] ?? 1000);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.resolve(process.argv[4] ?? path.join(root, 'bin/difyctl.js'));

/** Sequential GETs on one keep-alive connection; each is given up after 5 s. */
async function latencies(url, headers) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times = [];
  let failed = 0;
  for (let i = 0; i < requests; i++) {
    const started = process.hrtime.bigint();
    const ok = await new Promise((resolve) => {
      const req = http.get(url, { agent, headers, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(false));
    });
    if (ok) times.push(Number(process.hrtime.bigint() - started) / 1e6);
    else if (++failed >= 3) break; // a frozen server: three 5 s timeouts tell enough
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  const at = (q) => (times.length ? times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1) : '—');
  return {
    ok: times.length,
    failed,
    p50: at(0.5),
    p99: at(0.99),
    max: times.length ? times[times.length - 1].toFixed(1) : '—',
  };
}

/** A client that sends its headers, then a byte of a 1000-byte body every 5 s. */
function slowBody(port, path, token) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const state = { data: '', closedAt: 0, socket };
    let timer;
    socket.on('data', (d) => (state.data += d));
    socket.on('error', () => {});
    socket.on('close', () => {
      state.closedAt = Date.now();
      clearInterval(timer);
    });
    socket.once('connect', () => {
      const auth = token ? `Authorization: Bearer ${token}\r\n` : '';
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${auth}Content-Length: 1000\r\n\r\n{`,
      );
      timer = setInterval(() => socket.writable && socket.write(' '), 5000);
      resolve(state);
    });
  });
}

const { createMigrator } = await import(path.join(root, 'dist/db/migrator.js'));
const pg = await startPostgres();
const redis = await startRedis();
const rows = [];
let cut = '';
try {
  await createMigrator({
    connection: { host: '127.0.0.1', port: pg.port, user: 'postgres', password: 'bench', database: 'postgres' },
  }).up();
  const port = await freePort();
  const env = {
    ...serverEnv({ pg, redis, port }),
    SERVER_WORKER_AMOUNT: '1',
    SERVER_WORKER_CONNECTIONS: '10',
  };
  const server = spawn(process.execPath, [bin, 'serve', '--mode', 'api'], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitOk(`${url}/health`);
    const token = await consoleAdmin(url);
    const auth = { authorization: `Bearer ${token}` };
    const measure = async (label) => {
      rows.push({ condition: label, endpoint: 'GET /health', ...(await latencies(`${url}/health`, {})) });
      rows.push({
        condition: label,
        endpoint: 'GET /console/api/apps (auth)',
        ...(await latencies(`${url}/console/api/apps`, auth)),
      });
    };
    await latencies(`${url}/health`, {}); // warm-up, discarded
    await measure('idle');
    const openedAt = Date.now();
    const slow = [];
    for (let i = 0; i < slowCount; i++)
      slow.push(await slowBody(port, i % 2 ? '/console/api/login' : '/console/api/apps', i % 2 ? undefined : token));
    await sleep(500);
    await measure(`${slowCount} slow bodies open`);
    const stillOpen = slow.filter((s) => !s.closedAt).length;
    console.error(`${stillOpen} of ${slowCount} slow bodies were still open after the measurement`);
    for (let i = 0; i < 90 && slow.some((s) => !s.closedAt); i++) await sleep(1000);
    const got408 = slow.filter((s) => s.data.startsWith('HTTP/1.1 408')).length;
    const closeMs = slow
      .filter((s) => s.closedAt)
      .map((s) => s.closedAt - openedAt)
      .sort((a, b) => a - b);
    cut = `${got408} of ${slowCount} slow bodies answered 408 request_timeout and closed; ${closeMs.length} closed, the last ${closeMs.length ? (closeMs[closeMs.length - 1] / 1000).toFixed(1) : '—'} s after the first opened`;
    for (const s of slow) s.socket.destroy();
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
} finally {
  redis.stop();
  pg.stop();
}
console.log(
  `${requests} sequential keep-alive requests per row (ms); 1 api process, SERVER_WORKER_CONNECTIONS=10; ${os.cpus().length} cores (${os.cpus()[0]?.model}); Node ${process.version}`,
);
console.table(rows);
console.log(cut);
