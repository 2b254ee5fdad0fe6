#!/usr/bin/env node
// The request hot path against Dify's own stack (issue 16), side by side on the same PostgreSQL:
//   difyctl serve --mode api (2 processes)  vs  Flask + gunicorn/gevent (2 workers, bench/peers/flask_apps.py)
// for an authenticated GET /console/api/apps (JWT check + one query of 20 apps) and the shallow
// health endpoint, wrk -t2 -c50. Both run at once and their runs alternate (a warm-up of each, then
// ours, the peer's, ours, …: a VM that changes speed meets both alike); medians of N runs each. Both
// allow 1000 connections.
//
// Usage: npm run build && node bench/hot-path.mjs [runs=3] [seconds=10]
//   BENCH_PROFILE=DIR  also writes a CPU profile of each api process to DIR (node --cpu-prof) over
//                      one extra wrk run of the app list; open it in Chrome DevTools or summarise
//                      it with `node bench/profile-top.mjs DIR/*.cpuprofile`; BENCH_PROFILE_PATH=/health
//                      profiles the /health run instead.
//   BENCH_FLOOR=1      also runs node:http alone on /health (bench/peers/node_health.mjs), alternated
//                      with the two stacks: Node's own cost of a request on this machine.
// Needs wrk, python3-flask, gunicorn, python3-gevent, python3-psycopg2, python3-sqlalchemy,
// python3-jwt (Debian) and postgresql-15 binaries.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopped, treeCpu } from './lib/proc.mjs';
import { BENCH_SECRET, consoleAdmin, freePort, serverEnv, startPostgres, startRedis, waitOk } from './lib/services.mjs';
import { median, wrk as runWrk } from './lib/wrk.mjs';

const runs = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 10);
const profileDir = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : undefined;
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'bin/difyctl.js');

const PEER = 'Flask+gunicorn/gevent';
const FLOOR = 'node:http alone';

function wrk(url, token) {
  const args = ['-t2', '-c50', `-d${seconds}s`, '--latency', url];
  if (token) args.splice(3, 0, '-H', `Authorization: Bearer ${token}`);
  return runWrk(args);
}

/**
 * Both stacks on one endpoint, their runs alternated (ours, the peer's, ours, …) after a warm-up of
 * each, so that a VM slowing down or speeding up meets both alike. Per stack: the median req/s and p99
 * of its `runs` runs, and the CPU each request cost its processes and PostgreSQL during its own runs
 * (from /proc: the same whatever else the machine runs).
 */
async function measureSideBySide(name, stacks, { token, pgPid }) {
  for (const stack of stacks) await wrk(stack.url, token); // warm-up runs, discarded
  const tally = stacks.map(() => ({ samples: [], serverCpu: 0, pgCpu: 0 }));
  for (let i = 0; i < runs; i++)
    for (const [k, stack] of stacks.entries()) {
      const before = { server: treeCpu(stack.pid), pg: treeCpu(pgPid) };
      tally[k].samples.push(await wrk(stack.url, token));
      tally[k].serverCpu += treeCpu(stack.pid) - before.server;
      tally[k].pgCpu += treeCpu(pgPid) - before.pg;
    }
  return stacks.map((stack, k) => {
    const { samples, serverCpu, pgCpu } = tally[k];
    const requests = samples.reduce((n, s) => n + s.requests, 0);
    const perRequest = (seconds) => Number(((1000 * seconds) / requests).toFixed(3));
    return {
      stack: stack.name,
      name,
      rps: Math.round(median(samples.map((s) => s.rps))),
      p99: median(samples.map((s) => s.p99)),
      errors: samples.reduce((n, s) => n + s.non2xx + (s.errors === 'none' ? 0 : 1), 0),
      serverCpuMs: perRequest(serverCpu),
      pgCpuMs: perRequest(pgCpu),
    };
  });
}

const loadBefore = os
  .loadavg()
  .map((x) => x.toFixed(1))
  .join(' ');
const { createMigrator } = await import(path.join(root, 'dist/db/migrator.js'));
const pg = await startPostgres();
const redis = await startRedis();
const results = [];
/** A server process; `stop()` resolves once it exited. */
const started = (child) => ({
  pid: child.pid,
  stop: async () => {
    child.kill('SIGTERM');
    await stopped(child);
  },
});
try {
  await createMigrator({
    connection: { host: '127.0.0.1', port: pg.port, user: 'postgres', password: 'bench', database: 'postgres' },
  }).up();
  const port = await freePort();
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const env = {
    ...serverEnv({ pg, redis, port }),
    SERVER_WORKER_AMOUNT: '2',
    SERVER_WORKER_CONNECTIONS: '1000',
    SQLALCHEMY_POOL_SIZE: '30',
    SQLALCHEMY_MAX_OVERFLOW: '10',
  };
  const url = `http://127.0.0.1:${port}`;
  // node:cluster forks the api processes with the primary's execArgv: with --cpu-prof they profile too.
  const startDifyctl = async (profileArgs = []) => {
    const server = started(
      spawn(process.execPath, [...profileArgs, bin, 'serve', '--mode', 'api'], {
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
      }),
    );
    await waitOk(`${url}/health`);
    return server;
  };
  const peerPort = await freePort();
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const startPeer = async () => {
    const peer = started(
      spawn(
        'gunicorn',
        [
          '-k',
          'gevent',
          '-w',
          '2',
          '--worker-connections',
          '1000',
          '--log-level',
          'warning',
          '-b',
          `127.0.0.1:${peerPort}`,
          'bench.peers.flask_apps:app',
        ],
        {
          cwd: root,
          env: {
            PATH: process.env.PATH,
            SECRET_KEY: BENCH_SECRET,
            DATABASE_URL: `postgresql+psycopg2://postgres:bench@127.0.0.1:${pg.port}/postgres`,
          },
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      ),
    );
    await waitOk(`${peerUrl}/health`);
    return peer;
  };

  const startFloor = async () => {
    const floorPort = await freePort();
    const floor = started(
      spawn(process.execPath, [path.join(root, 'bench/peers/node_health.mjs')], {
        env: { PATH: process.env.PATH, PORT: String(floorPort) },
        stdio: ['ignore', 'inherit', 'inherit'],
      }),
    );
    const floorUrl = `http://127.0.0.1:${floorPort}/health`;
    await waitOk(floorUrl);
    return { ...floor, url: floorUrl };
  };
  const running = [];
  let token;
  try {
    const server = await startDifyctl();
    running.push(server);
    token = await consoleAdmin(url);
    const peer = await startPeer();
    running.push(peer);
    const probe = await fetch(`${peerUrl}/console/api/apps`, { headers: { authorization: `Bearer ${token}` } });
    const body = await probe.json();
    if (probe.status !== 200 || body.data?.length !== 20)
      throw new Error(`the Flask peer answered ${probe.status}: ${JSON.stringify(body).slice(0, 200)}`);
    const stacks = (path) => [
      { name: 'difyctl', url: `${url}${path}`, pid: server.pid },
      { name: PEER, url: `${peerUrl}${path}`, pid: peer.pid },
    ];
    // BENCH_FLOOR=1: node:http alone answers /health beside them (bench/peers/node_health.mjs).
    const floor = process.env.BENCH_FLOOR === '1' ? await startFloor() : undefined;
    if (floor) running.push(floor);
    const healthStacks = [...stacks('/health'), ...(floor ? [{ name: FLOOR, url: floor.url, pid: floor.pid }] : [])];
    results.push(...(await measureSideBySide('GET /health', healthStacks, { pgPid: pg.pid() })));
    results.push(
      ...(await measureSideBySide('GET /console/api/apps (auth)', stacks('/console/api/apps'), {
        token,
        pgPid: pg.pid(),
      })),
    );
  } finally {
    await Promise.all(running.map((p) => p.stop()));
  }
  if (profileDir) {
    const server = await startDifyctl(['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
    try {
      // BENCH_PROFILE_PATH=/health profiles that endpoint's run instead.
      const target = process.env.BENCH_PROFILE_PATH ?? '/console/api/apps';
      await wrk(`${url}${target}`, target === '/health' ? undefined : token);
    } finally {
      await server.stop();
    }
  }
} finally {
  redis.stop();
  pg.stop();
}

console.log(
  `wrk -t2 -c50 -d${seconds}s, median of ${runs} runs each, alternated, after a warm-up of each; 2 processes each; ${os.cpus().length} cores (${os.cpus()[0]?.model}); Node ${process.version}`,
);
console.log(
  `load average before: ${loadBefore}, after: ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.table(
  results.map((r) => ({
    stack: r.stack,
    endpoint: r.name,
    'req/s': r.rps,
    'p99 ms': r.p99,
    'server CPU ms/req': r.serverCpuMs,
    'PostgreSQL CPU ms/req': r.pgCpuMs,
    'non-2xx/errors': r.errors,
  })),
);
for (const name of ['GET /health', 'GET /console/api/apps (auth)']) {
  const ours = results.find((r) => r.stack === 'difyctl' && r.name === name);
  const peer = results.find((r) => r.stack === PEER && r.name === name);
  if (ours && peer) {
    const cpu = (peer.serverCpuMs + peer.pgCpuMs) / (ours.serverCpuMs + ours.pgCpuMs);
    console.log(
      `${name}: ${(ours.rps / peer.rps).toFixed(2)}× the Flask peer's req/s; p99 ${ours.p99} ms vs ${peer.p99} ms; ${cpu.toFixed(2)}× less CPU per request (server + PostgreSQL)`,
    );
  }
}
const floorRow = results.find((r) => r.stack === FLOOR);
const oursHealth = results.find((r) => r.stack === 'difyctl' && r.name === 'GET /health');
if (floorRow && oursHealth)
  console.log(
    `GET /health: difyctl ${oursHealth.serverCpuMs} ms of CPU per request, ${FLOOR} ${floorRow.serverCpuMs} ms; ${(oursHealth.rps / floorRow.rps).toFixed(2)}× its req/s`,
  );
if (profileDir)
  console.log(
    `CPU profiles of the api processes (one run of ${process.env.BENCH_PROFILE_PATH ?? 'the app list'}): ${profileDir}`,
  );
