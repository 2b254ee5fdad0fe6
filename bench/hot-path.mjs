#!/usr/bin/env node
// The request hot path against Dify's own stack (issue 16), side by side on the same PostgreSQL:
//   difyctl serve --mode api (2 processes)  vs  Flask + gunicorn/gevent (2 workers, bench/peers/flask_apps.py)
// for an authenticated GET /console/api/apps (JWT check + one query of 20 apps) and the shallow
// health endpoint, wrk -t2 -c50, median of N runs after a warm-up. Both allow 1000 connections.
//
// Usage: npm run build && node bench/hot-path.mjs [runs=3] [seconds=10]
//   BENCH_PROFILE=DIR  also writes a CPU profile of each api process to DIR (node --cpu-prof) over
//                      one extra wrk run of the app list; open it in Chrome DevTools or summarise
//                      it with `node bench/profile-top.mjs DIR/*.cpuprofile`.
// Needs wrk, python3-flask, gunicorn, python3-gevent, python3-psycopg2, python3-sqlalchemy,
// python3-jwt (Debian) and postgresql-15 binaries.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 10);
const profileDir = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : undefined;
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'bin/difyctl.js');
const pgBin = process.env.DIFYCTL_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const asRoot = process.getuid?.() === 0;
const SECRET = 'bench-secret-key-0123456789abcdef0123456789';
const pgRun = (cmd, args) => execFileSync(asRoot ? 'runuser' : path.join(pgBin, cmd), asRoot ? ['-u', 'postgres', '--', path.join(pgBin, cmd), ...args] : args, { stdio: 'ignore' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startPostgres() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'difyctl-bench-pg-'));
  writeFileSync(path.join(dir, 'pw'), 'bench\n');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
    chownSync(path.join(dir, 'pw'), uid, gid);
  }
  pgRun('initdb', ['-D', `${dir}/data`, '-U', 'postgres', `--pwfile=${dir}/pw`, '--auth-host=scram-sha-256', '--auth-local=trust', '--no-sync']);
  const port = await freePort();
  pgRun('pg_ctl', ['-D', `${dir}/data`, '-l', `${dir}/log`, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300`, '-w', 'start']);
  return { port, stop: () => { pgRun('pg_ctl', ['-D', `${dir}/data`, '-m', 'fast', '-w', 'stop']); rmSync(dir, { recursive: true, force: true }); } };
}

async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => net.connect(port, '127.0.0.1').once('connect', function () { this.destroy(); resolve(true); }).once('error', () => resolve(false)));
    if (up) break;
    await sleep(50);
  }
  return { port, stop: () => child.kill() };
}

async function waitFor(url) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200`);
}

function wrk(url, token) {
  const args = ['-t2', '-c50', `-d${seconds}s`, '--latency', url];
  if (token) args.splice(3, 0, '-H', `Authorization: Bearer ${token}`);
  const out = execFileSync('wrk', args).toString();
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99raw = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99 = p99raw ? Number(p99raw[1]) * { us: 0.001, ms: 1, s: 1000 }[p99raw[2]] : NaN;
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors: connect (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p99, errors };
}

function measure(name, target, token) {
  wrk(target, token); // warm-up run, discarded
  const samples = Array.from({ length: runs }, () => wrk(target, token));
  return { name, rps: Math.round(median(samples.map((s) => s.rps))), p99: median(samples.map((s) => s.p99)), errors: samples.reduce((n, s) => n + s.errors, 0) };
}

const stopped = (child) => new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));

const { createMigrator } = await import(path.join(root, 'dist/db/migrator.js'));
const pg = await startPostgres();
const redis = await startRedis();
const results = [];
try {
  await createMigrator({ connection: { host: '127.0.0.1', port: pg.port, user: 'postgres', password: 'bench', database: 'postgres' } }).up();
  const port = await freePort();
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const env = {
    PATH: process.env.PATH, HOME: process.env.HOME, SECRET_KEY: SECRET, DEPLOY_ENV: 'PRODUCTION', LOG_LEVEL: 'WARNING',
    DB_HOST: '127.0.0.1', DB_PORT: String(pg.port), DB_USERNAME: 'postgres', DB_PASSWORD: 'bench', DB_DATABASE: 'postgres',
    REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port), CELERY_BROKER_URL: `redis://127.0.0.1:${redis.port}/1`,
    DIFY_BIND_ADDRESS: '127.0.0.1', DIFY_PORT: String(port), SERVER_WORKER_AMOUNT: '2',
    SERVER_WORKER_CONNECTIONS: '1000', SQLALCHEMY_POOL_SIZE: '30', SQLALCHEMY_MAX_OVERFLOW: '10',
  };
  const url = `http://127.0.0.1:${port}`;
  let token;
  for (const profiling of profileDir ? [false, true] : [false]) {
    // node:cluster forks the api processes with the primary's execArgv: they profile too.
    const profileArgs = profiling ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const server = spawn(process.execPath, [...profileArgs, bin, 'serve', '--mode', 'api'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    try {
      await waitFor(`${url}/health`);
      const post = (p, body, auth) => fetch(`${url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) }, body: JSON.stringify(body) });
      const admin = { email: 'bench@example.com', name: 'Bench', password: 'bench-password' };
      if (!token) {
        await post('/console/api/setup', admin);
        token = (await (await post('/console/api/login', admin)).json()).data.access_token;
        for (let i = 0; i < 20; i++) await post('/console/api/apps', { name: `app ${i}`, mode: 'chat' }, token);
      }
      if (profiling) {
        wrk(`${url}/console/api/apps`, token);
      } else {
        results.push({ stack: 'difyctl', ...measure('GET /health', `${url}/health`) });
        results.push({ stack: 'difyctl', ...measure('GET /console/api/apps (auth)', `${url}/console/api/apps`, token) });
      }
    } finally {
      server.kill('SIGTERM');
      await stopped(server);
    }
  }

  const peerPort = await freePort();
  const peer = spawn('gunicorn', ['-k', 'gevent', '-w', '2', '--worker-connections', '1000', '--log-level', 'warning', '-b', `127.0.0.1:${peerPort}`, 'bench.peers.flask_apps:app'], {
    cwd: root,
    env: { PATH: process.env.PATH, SECRET_KEY: SECRET, DATABASE_URL: `postgresql+psycopg2://postgres:bench@127.0.0.1:${pg.port}/postgres` },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    await waitFor(`${peerUrl}/health`);
    const probe = await fetch(`${peerUrl}/console/api/apps`, { headers: { authorization: `Bearer ${token}` } });
    const body = await probe.json();
    if (probe.status !== 200 || body.data?.length !== 20) throw new Error(`the Flask peer answered ${probe.status}: ${JSON.stringify(body).slice(0, 200)}`);
    results.push({ stack: 'Flask+gunicorn/gevent', ...measure('GET /health', `${peerUrl}/health`) });
    results.push({ stack: 'Flask+gunicorn/gevent', ...measure('GET /console/api/apps (auth)', `${peerUrl}/console/api/apps`, token) });
  } finally {
    peer.kill('SIGTERM');
    await stopped(peer);
  }
} finally {
  redis.stop();
  pg.stop();
}

console.log(`wrk -t2 -c50 -d${seconds}s, median of ${runs} runs after a warm-up; 2 processes each; ${os.cpus().length} cores (${os.cpus()[0]?.model}); Node ${process.version}`);
console.table(results.map((r) => ({ stack: r.stack, endpoint: r.name, 'req/s': r.rps, 'p99 ms': r.p99, 'non-2xx/errors': r.errors })));
for (const name of ['GET /health', 'GET /console/api/apps (auth)']) {
  const ours = results.find((r) => r.stack === 'difyctl' && r.name === name);
  const peer = results.find((r) => r.stack !== 'difyctl' && r.name === name);
  if (ours && peer) console.log(`${name}: ${(ours.rps / peer.rps).toFixed(2)}× the Flask peer's req/s; p99 ${ours.p99} ms vs ${peer.p99} ms`);
}
if (profileDir) console.log(`CPU profiles of the api processes (one app-list run): ${profileDir}`);
