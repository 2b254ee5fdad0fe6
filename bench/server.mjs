#!/usr/bin/env node
// Throughput and p99 latency of the embedded API server (wrk, 10 s, 50 connections) for
// GET /health and an authenticated GET /console/api/apps, with 1 and 2 api processes.
// Real PostgreSQL 15 (Debian binaries) and redis-server on free loopback ports; median of N runs.
// Usage: npm run build && node bench/server.mjs [runs=3] [seconds=10]   (needs wrk: apt-get install wrk)
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { consoleAdmin, freePort, serverEnv, startPostgres, startRedis, waitOk } from './lib/services.mjs';
import { median } from './lib/wrk.mjs';

const runs = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 10);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'bin/difyctl.js');

function wrk(url, token) {
  const args = ['-t2', '-c50', `-d${seconds}s`, '--latency', url];
  if (token) args.splice(3, 0, '-H', `Authorization: Bearer ${token}`);
  const out = execFileSync('wrk', args).toString();
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99raw = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99 = p99raw ? Number(p99raw[1]) * { us: 0.001, ms: 1, s: 1000 }[p99raw[2]] : NaN;
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
  return { rps, p99, errors: Number(errors) };
}

const { createMigrator } = await import(path.join(root, 'dist/db/migrator.js'));
const pg = await startPostgres({ settings: { max_connections: 200 } });
const redis = await startRedis();
const rows = [];
try {
  await createMigrator({
    connection: { host: '127.0.0.1', port: pg.port, user: 'postgres', password: 'bench', database: 'postgres' },
  }).up();
  for (const workers of [1, 2]) {
    const port = await freePort();
    const env = {
      ...serverEnv({ pg, redis, port }),
      SERVER_WORKER_AMOUNT: String(workers),
      SERVER_WORKER_CONNECTIONS: process.env.BENCH_CONNECTIONS ?? '10',
      SQLALCHEMY_POOL_SIZE: '30',
      SQLALCHEMY_MAX_OVERFLOW: '10',
    };
    const server = spawn(process.execPath, [bin, 'serve', '--mode', 'api'], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitOk(`${url}/health`);
      // One database for every run: its 20 apps are created by the first.
      const token = await consoleAdmin(url, { apps: workers === 1 ? 20 : 0 });
      for (const [name, target, auth] of [
        ['GET /health', `${url}/health`, undefined],
        ['GET /console/api/apps (auth)', `${url}/console/api/apps`, token],
      ]) {
        wrk(target, auth); // warm-up run, discarded
        const samples = Array.from({ length: runs }, () => wrk(target, auth));
        rows.push({
          endpoint: name,
          processes: workers,
          'req/s (median)': Math.round(median(samples.map((s) => s.rps))),
          'p99 ms (median)': median(samples.map((s) => s.p99)),
          'non-2xx': samples.reduce((n, s) => n + s.errors, 0),
        });
      }
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  }
} finally {
  redis.stop();
  pg.stop();
}
console.log(
  `wrk -t2 -c50 -d${seconds}s, median of ${runs} runs after a warm-up; ${os.cpus().length} cores (${os.cpus()[0]?.model}); Node ${process.version}`,
);
console.table(rows);
