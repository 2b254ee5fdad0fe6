// Throwaway PostgreSQL 15 (Debian binaries, durability on) and redis-server on free loopback ports,
// for the benchmarks. Each `stop()` removes what its start created.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `url` answers 200 (asked every 100 ms), throws after `timeoutMs`. */
export async function waitOk(url, timeoutMs = 30_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {}
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s`);
}

export const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const pgBin = process.env.DIFYCTL_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const asRoot = process.getuid?.() === 0;
/** PostgreSQL refuses to run as root: as root, its tools run as the `postgres` user. */
const pgRun = (cmd, args) =>
  execFileSync(
    asRoot ? 'runuser' : path.join(pgBin, cmd),
    asRoot ? ['-u', 'postgres', '--', path.join(pgBin, cmd), ...args] : args,
    { stdio: 'ignore' },
  );

/**
 * User `postgres`, password `bench`, database `postgres`; `pid()` is the postmaster's. `settings`
 * are more server settings (`{ fsync: 'off' }`).
 */
export async function startPostgres({ settings = {}, alsoListen = [] } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'difyctl-bench-pg-'));
  writeFileSync(path.join(dir, 'pw'), 'bench\n');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
    chownSync(path.join(dir, 'pw'), uid, gid);
  }
  pgRun('initdb', [
    '-D',
    `${dir}/data`,
    '-U',
    'postgres',
    `--pwfile=${dir}/pw`,
    '--auth-host=scram-sha-256',
    '--auth-local=trust',
    '--no-sync',
  ]);
  // `alsoListen`: addresses besides 127.0.0.1 that take password logins (bench/lib/netns.mjs' gateway).
  if (alsoListen.length > 0) appendFileSync(`${dir}/data/pg_hba.conf`, 'host all all 0.0.0.0/0 scram-sha-256\n');
  const port = await freePort();
  const more = Object.entries(settings)
    .map(([k, v]) => ` -c ${k}=${v}`)
    .join('');
  pgRun('pg_ctl', [
    '-D',
    `${dir}/data`,
    '-l',
    `${dir}/log`,
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=${['127.0.0.1', ...alsoListen].join(',')} -c max_connections=300${more}`,
    '-w',
    'start',
  ]);
  const pid = () => Number(readFileSync(`${dir}/data/postmaster.pid`, 'utf8').split('\n')[0]);
  const stop = () => {
    pgRun('pg_ctl', ['-D', `${dir}/data`, '-m', 'fast', '-w', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  };
  return { port, pid, stop };
}

/** `alsoBind`: addresses to listen on besides 127.0.0.1 (a test network's gateway, bench/lib/netns.mjs). */
export async function startRedis({ alsoBind = [] } = {}) {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', ...alsoBind, '--save', '', '--appendonly', 'no'],
      // No password: Redis 7 answers only loopback clients unless protected mode is off.
      ...(alsoBind.length > 0 ? ['--protected-mode', 'no'] : []),
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    await sleep(50);
  }
  return { port, pid: () => child.pid, stop: () => child.kill() };
}

export const BENCH_SECRET = 'bench-secret-key-0123456789abcdef0123456789';

/** The environment `difyctl serve` gets in the benchmarks: this PostgreSQL and Redis, on `port`. */
export const serverEnv = ({ pg, redis, port }) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  SECRET_KEY: BENCH_SECRET,
  DEPLOY_ENV: 'PRODUCTION',
  LOG_LEVEL: 'WARNING',
  DB_HOST: '127.0.0.1',
  DB_PORT: String(pg.port),
  DB_USERNAME: 'postgres',
  DB_PASSWORD: 'bench',
  DB_DATABASE: 'postgres',
  REDIS_HOST: '127.0.0.1',
  REDIS_PORT: String(redis.port),
  CELERY_BROKER_URL: `redis://127.0.0.1:${redis.port}/1`,
  DIFY_BIND_ADDRESS: '127.0.0.1',
  DIFY_PORT: String(port),
});

const BENCH_ADMIN = { email: 'bench@example.com', name: 'Bench', password: 'bench-password' };

/**
 * A fresh server's console set up as a user would (setup, then login), with `apps` chat apps created
 * (the app list the benchmarks read); returns the admin's access token.
 */
export async function consoleAdmin(url, { apps = 20 } = {}) {
  const post = (p, body, token) =>
    fetch(`${url}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  await post('/console/api/setup', BENCH_ADMIN);
  const token = (await (await post('/console/api/login', BENCH_ADMIN)).json()).data.access_token;
  for (let i = 0; i < apps; i++) await post('/console/api/apps', { name: `app ${i}`, mode: 'chat' }, token);
  return token;
}
