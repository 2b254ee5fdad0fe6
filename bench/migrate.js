#!/usr/bin/env node
// Measures difyctl's migrator (issue 4): time to migrate an empty database to head (median of 5),
// in-process (createMigrator().up()) and as a `difyctl migrate` process, and the wall time of a
// `difyctl migrate status` process (median of 10). Needs `npx tsc -p .` (dist/) and Debian's
// PostgreSQL 15 binaries ($DIFYCTL_PG_BIN, default /usr/lib/postgresql/15/bin); it starts a throwaway
// server on a free 127.0.0.1 port (as the `postgres` user when root) and removes it at the end.
//   node bench/migrate.js
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createMigrator } from '../dist/index.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = process.env.DIFYCTL_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ids = process.getuid() === 0 ? { uid: Number(execFileSync('id', ['-u', 'postgres'])), gid: Number(execFileSync('id', ['-g', 'postgres'])) } : {};

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function startServer() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'difyctl-bench-pg-'));
  const password = randomBytes(12).toString('hex');
  writeFileSync(path.join(dir, 'pw'), password, { mode: 0o600 });
  if (ids.uid !== undefined) for (const f of [dir, path.join(dir, 'pw')]) chownSync(f, ids.uid, ids.gid);
  execFileSync(path.join(BIN, 'initdb'), ['-D', path.join(dir, 'data'), '-U', 'postgres', `--pwfile=${path.join(dir, 'pw')}`, '--auth-host=scram-sha-256', '--auth-local=trust', '--no-locale', '-E', 'UTF8', '--no-sync'], { ...ids, cwd: dir, stdio: 'ignore' });
  const port = await freePort();
  // Durability is left ON here (unlike the tests) so the figures resemble a real server.
  const child = spawn(path.join(BIN, 'postgres'), ['-D', path.join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'], { ...ids, cwd: dir, stdio: 'ignore' });
  const conn = { host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' };
  for (let i = 0; ; i++) {
    const c = new pg.Client(conn);
    c.on('error', () => {});
    try {
      await c.connect();
      await c.end();
      break;
    } catch {
      if (i > 300) throw new Error('postgres did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  let n = 0;
  return {
    conn,
    async createDatabase() {
      const name = `bench_${++n}`;
      const c = new pg.Client(conn);
      await c.connect();
      await c.query(`CREATE DATABASE ${name}`);
      await c.end();
      return { ...conn, database: name };
    },
    stop() {
      child.kill('SIGINT');
      return new Promise((r) => child.once('exit', r)).then(() => rmSync(dir, { recursive: true, force: true }));
    },
  };
}

function cli(args, env, cwd) {
  const started = performance.now();
  execFileSync(process.execPath, [path.join(ROOT, 'bin/difyctl.js'), ...args], { cwd, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: 'ignore' });
  return performance.now() - started;
}

const server = await startServer();
const project = mkdtempSync(path.join(os.tmpdir(), 'difyctl-bench-project-'));
writeFileSync(path.join(project, '.env'), 'SECRET_KEY=bench-secret-key-0123456789abcdef0123\nDEPLOY_ENV=DEVELOPMENT\n');
const envFor = (db) => ({ DB_HOST: db.host, DB_PORT: String(db.port), DB_USERNAME: db.user, DB_PASSWORD: db.password, DB_DATABASE: db.database });
try {
  const inProcess = [];
  for (let i = 0; i < 5; i++) {
    const db = await server.createDatabase();
    const started = performance.now();
    await createMigrator({ connection: db }).up();
    inProcess.push(performance.now() - started);
  }
  const asProcess = [];
  let last;
  for (let i = 0; i < 5; i++) {
    last = await server.createDatabase();
    asProcess.push(cli(['-C', project, 'migrate'], envFor(last), project));
  }
  const status = [];
  for (let i = 0; i < 10; i++) status.push(cli(['-C', project, 'migrate', 'status'], envFor(last), project));
  const fmt = (xs) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;
  console.log(`empty database → head, createMigrator().up():   ${fmt(inProcess)}`);
  console.log(`empty database → head, \`difyctl migrate\` process: ${fmt(asProcess)}`);
  console.log(`\`difyctl migrate status\` process (at head):      ${fmt(status)}`);
} finally {
  await server.stop();
  rmSync(project, { recursive: true, force: true });
}
