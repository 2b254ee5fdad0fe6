/**
 * A throwaway PostgreSQL server for tests, from Debian's binaries (apt package `postgresql`, 15).
 *
 *   const pg = await startPostgres();          // ~1 s: initdb + start on a free 127.0.0.1 port
 *   const db = await pg.createDatabase();      // a fresh, empty database per test (cheap)
 *   await pg.exec('SELECT 1', db.database);
 *   await pg.stop();                           // fast shutdown, data dir removed
 *
 * - Runs as the `postgres` OS user when we are root (PostgreSQL refuses root), as ourselves otherwise.
 * - Everything lives in one temp folder: data dir, unix socket, password file. `stop()` removes it;
 *   an exit hook kills the server if a test process dies without calling `stop()`.
 * - TCP on 127.0.0.1 only, password auth (scram-sha-256) for the superuser `postgres`;
 *   durability is off (fsync, synchronous_commit, full_page_writes) because the data is thrown away.
 * - Binaries: $DIFYCTL_PG_BIN, else /usr/lib/postgresql/15/bin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import getPort from 'get-port';
import pg from 'pg';

export const PG_BIN = process.env.DIFYCTL_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
}

export interface TestPostgres extends PostgresConnection {
  /** Runs SQL (one or more statements) in `database` (default: the server's own test database). */
  exec<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, database?: string): Promise<pg.QueryResult<R>>;
  /** Creates a new empty database and returns how to reach it. */
  createDatabase(name?: string): Promise<PostgresConnection>;
  /** The environment difyctl reads (DB_HOST, DB_PORT, DB_USERNAME, DB_PASSWORD, DB_DATABASE). */
  env(database?: string): Record<string, string>;
  /** The server's process, e.g. to kill it in a test. */
  process: ChildProcess;
  stop(): Promise<void>;
}

const asRoot = process.getuid?.() === 0;

/** The `postgres` user's ids when we are root (the processes then run as it), nothing otherwise. */
async function runAs(): Promise<{ uid: number; gid: number } | Record<string, never>> {
  if (!asRoot) return {};
  const [uid, gid] = await Promise.all([execa('id', ['-u', 'postgres']), execa('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

function connectionFor(port: number, password: string, database: string): PostgresConnection {
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database,
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
  };
}

/** Polls a login until the server accepts it (or it exits, or `timeoutMs` passes). */
async function waitForLogin(
  connection: PostgresConnection,
  child: ChildProcess,
  log: () => string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}:\n${log()}`);
    const client = new pg.Client({ ...connection, database: 'postgres', connectionTimeoutMillis: 1000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() > deadline)
        throw new Error(`postgres did not accept a login in ${timeoutMs} ms: ${String(error)}\n${log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * `serverArgs`: extra `postgres` arguments, e.g. ['-c', 'ssl=on', …]. `alsoListen`: addresses to
 * accept password logins on besides 127.0.0.1 (e.g. a test network's gateway, test/helpers/netns.ts).
 */
export async function startPostgres(
  options: { database?: string; serverArgs?: string[]; alsoListen?: string[] } = {},
): Promise<TestPostgres> {
  if (!existsSync(path.join(PG_BIN, 'postgres'))) {
    throw new Error(
      `No PostgreSQL binaries in ${PG_BIN}: install them (apt-get install postgresql) or set DIFYCTL_PG_BIN to a bin/ folder with initdb and postgres`,
    );
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'difyctl-pg-'));
  const dataDir = path.join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const database = options.database ?? 'difyctl_test';
  let child: ChildProcess | undefined;
  const killOnExit = (): void => void child?.kill('SIGKILL');
  try {
    await writeFile(path.join(dir, 'pwfile'), `${password}\n`, { mode: 0o600 });
    const ids = await runAs();
    if (ids.uid !== undefined) {
      await chown(dir, ids.uid, ids.gid);
      await chown(path.join(dir, 'pwfile'), ids.uid, ids.gid);
    }
    await execa(
      path.join(PG_BIN, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        `--pwfile=${path.join(dir, 'pwfile')}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--no-locale',
        '-E',
        'UTF8',
        '--no-sync',
        '--no-instructions',
      ],
      { ...ids, cwd: dir, env: { ...process.env, TZ: 'UTC' } },
    );
    const alsoListen = options.alsoListen ?? [];
    if (alsoListen.length > 0)
      await appendFile(path.join(dataDir, 'pg_hba.conf'), 'host all all 0.0.0.0/0 scram-sha-256\n');
    const port = await getPort({ host: '127.0.0.1' });
    const args = [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      `listen_addresses=${['127.0.0.1', ...alsoListen].join(',')}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=100',
      '-c',
      'log_min_messages=warning',
      ...(options.serverArgs ?? []),
    ];
    let log = '';
    child = spawn(path.join(PG_BIN, 'postgres'), args, { ...ids, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    process.once('exit', killOnExit);
    await waitForLogin(connectionFor(port, password, 'postgres'), child, () => log.slice(-4000));

    const exec = async <R extends pg.QueryResultRow>(sql: string, db = database): Promise<pg.QueryResult<R>> => {
      const client = new pg.Client(connectionFor(port, password, db));
      await client.connect();
      try {
        return await client.query<R>(sql);
      } finally {
        await client.end();
      }
    };
    let counter = 0;
    const createDatabase = async (
      name = `${database}_${++counter}_${randomBytes(3).toString('hex')}`,
    ): Promise<PostgresConnection> => {
      await exec(`CREATE DATABASE "${name}"`, 'postgres');
      return connectionFor(port, password, name);
    };
    await exec(`CREATE DATABASE "${database}"`, 'postgres');
    const server = child;
    return {
      ...connectionFor(port, password, database),
      exec,
      createDatabase,
      env: (db = database) => ({
        DB_HOST: '127.0.0.1',
        DB_PORT: String(port),
        DB_USERNAME: 'postgres',
        DB_PASSWORD: password,
        DB_DATABASE: db,
      }),
      process: server,
      stop: async () => {
        process.removeListener('exit', killOnExit);
        if (server.exitCode === null && server.signalCode === null) {
          const exited = new Promise((r) => server.once('exit', r));
          server.kill('SIGINT'); // fast shutdown: disconnects clients, no checkpoint wait beyond the minimum
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    process.removeListener('exit', killOnExit);
    child?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
