#!/usr/bin/env node
// Issue 15: throughput of 1 vs 2 api hosts sharing one PostgreSQL and Redis. Each host is a network
// namespace (bench/lib/netns.mjs) running `difyctl serve --mode api` on its own address; PostgreSQL
// and Redis listen on the network's gateway. The load is the authenticated app list
// (GET /console/api/apps: JWT check + one query of 20 apps), as bench/hot-path.mjs:
//   1 host:  wrk -t2 -c50 against host 1
//   2 hosts: wrk -t1 -c25 against each host at the same time, req/s summed (same 50 connections)
// Median of N runs after a warm-up. All hosts share this machine's cores: the figure says how well
// the shared PostgreSQL/Redis carry a second host, not what a second machine adds.
//
// Usage (root): npm run build && node bench/hosts.mjs [runs=3] [seconds=10]
//   BENCH_API_PROCESSES  api processes per host (SERVER_WORKER_AMOUNT). @default 1
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetwork } from './lib/netns.mjs';
import { stopped } from './lib/proc.mjs';
import { consoleAdmin, serverEnv, startPostgres, startRedis, waitOk } from './lib/services.mjs';
import { median, wrk } from './lib/wrk.mjs';

const runs = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 10);
const processes = process.env.BENCH_API_PROCESSES ?? '1';
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'bin/difyctl.js');
const PORT = 5001;

/** One timed round: wrk against every url at once, connections split between them. */
async function round(urls, token) {
  const connections = Math.floor(50 / urls.length);
  const threads = String(Math.max(1, 2 / urls.length));
  const samples = await Promise.all(
    urls.map((url) =>
      wrk([
        `-t${threads}`,
        `-c${connections}`,
        `-d${seconds}s`,
        '--latency',
        '-H',
        `Authorization: Bearer ${token}`,
        `${url}/console/api/apps`,
      ]),
    ),
  );
  return {
    rps: samples.reduce((n, s) => n + s.rps, 0),
    p99: Math.max(...samples.map((s) => s.p99)),
    errors: samples.reduce((n, s) => n + s.non2xx + (s.errors === 'none' ? 0 : 1), 0),
  };
}

async function measure(name, urls, token) {
  await round(urls, token); // warm-up, discarded
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await round(urls, token));
  return {
    setup: name,
    'req/s (sum)': Math.round(median(samples.map((s) => s.rps))),
    'p99 ms (worst host)': median(samples.map((s) => s.p99)),
    'non-2xx/errors': samples.reduce((n, s) => n + s.errors, 0),
  };
}

const net = createNetwork(2);
const children = [];
const pg = await startPostgres({ alsoListen: [net.gateway] });
const redis = await startRedis({ alsoBind: [net.gateway] });
const results = [];
try {
  const { createMigrator } = await import(path.join(root, 'dist/db/migrator.js'));
  await createMigrator({
    connection: { host: '127.0.0.1', port: pg.port, user: 'postgres', password: 'bench', database: 'postgres' },
  }).up();
  const start = (host) => {
    const env = {
      ...serverEnv({ pg, redis, port: PORT }),
      DB_HOST: net.gateway,
      REDIS_HOST: net.gateway,
      CELERY_BROKER_URL: `redis://${net.gateway}:${redis.port}/1`,
      DIFY_BIND_ADDRESS: host.address,
      SERVER_WORKER_AMOUNT: processes,
      SERVER_WORKER_CONNECTIONS: '1000',
      SQLALCHEMY_POOL_SIZE: '30',
      SQLALCHEMY_MAX_OVERFLOW: '10',
    };
    const child = spawn('ip', host.exec(process.execPath, [bin, 'serve', '--mode', 'api']), {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    return `http://${host.address}:${PORT}`;
  };
  const [a, b] = net.hosts;
  const urlA = start(a);
  await waitOk(`${urlA}/health`);
  const token = await consoleAdmin(urlA);

  results.push(await measure('1 api host', [urlA], token));
  const urlB = start(b);
  await waitOk(`${urlB}/health`);
  results.push(await measure('2 api hosts', [urlA, urlB], token));
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map(stopped));
  redis.stop();
  pg.stop();
  net.destroy();
}

console.log(
  `GET /console/api/apps (auth), 50 connections in all, ${seconds}s, median of ${runs} runs after a warm-up; ` +
    `${processes} api process(es) per host; ${os.cpus().length} cores (${os.cpus()[0]?.model}); Node ${process.version}`,
);
console.table(results);
