import type { StackContext, Started } from '../../context.js';
import { dbConnection, redisConnection } from '../../dependencies.js';
import { ensureDatabase, startEmbeddedPostgres } from './postgres.js';
import { fileTail, pidRuns } from '../../../supervision/process.js';
import { startEmbeddedRedis } from './redis.js';
import { allOf } from '../../ready/composite.js';
import { postgresStrategy } from '../../ready/postgres.js';
import { redisStrategy } from '../../ready/redis.js';
import type { Probe, ReadinessStrategy } from '../../ready/strategy.js';
import { readState } from '../../state.js';
import type { DependencyName } from '../../types.js';
import { embeddedStartFailed } from '../../errors.js';
import { configInvalid } from '../../../config/errors.js';

/** Fatal as soon as the process is gone: waiting longer would not help. */
function processAlive(args: {
  pid: number;
  marker: string;
  dependency: DependencyName;
  logFile: string;
}): ReadinessStrategy {
  return {
    name: `process ${args.pid}`,
    async check(): Promise<Probe> {
      if (await pidRuns(args.pid, args.marker)) return { ok: true };
      const tail = await fileTail(args.logFile, 30);
      const reason = `${args.marker} (pid ${args.pid}) exited while starting`;
      return {
        ok: false,
        reason,
        fatal: embeddedStartFailed(reason, {
          why: tail.map((l) => `    ${l}`).join('\n') || undefined,
          hint: `See ${args.logFile}.`,
        }),
      };
    },
  };
}

/** A detached embedded server this run started or found: what both embedded dependencies report. */
interface EmbeddedProcess {
  pid: number;
  port: number;
  logFile: string;
  dataDir: string;
  reused: boolean;
}

/** The Started record of an embedded server: its state record, and readiness = alive and `serves`. */
function embeddedStarted(args: {
  server: EmbeddedProcess;
  connection: Started['connection'];
  serves: ReadinessStrategy;
  marker: string;
  dependency: DependencyName;
}): Started {
  const { server } = args;
  return {
    provider: 'embedded',
    connection: args.connection,
    reused: server.reused,
    created: !server.reused,
    record: {
      provider: 'embedded',
      host: '127.0.0.1',
      port: server.port,
      pid: server.pid,
      logFile: server.logFile,
      dataDirs: [server.dataDir],
      since: new Date().toISOString(),
    },
    strategy: allOf([
      processAlive({ pid: server.pid, marker: args.marker, dependency: args.dependency, logFile: server.logFile }),
      args.serves,
    ]),
    logTail: () => fileTail(server.logFile, 30),
  };
}

export async function startEmbeddedDb(ctx: StackContext): Promise<Started> {
  const s = ctx.settings;
  if (!s.DB_PASSWORD) {
    // The server listens with password authentication; an empty password could never log in.
    throw configInvalid('DB_PASSWORD is empty: the embedded PostgreSQL is created with the configured password', {
      hint: 'Set DB_PASSWORD in .env (e.g. `openssl rand -hex 16`).',
    });
  }
  const pg = await startEmbeddedPostgres({
    projectDir: ctx.project.projectDir,
    user: s.DB_USERNAME,
    password: s.DB_PASSWORD,
    preferredPort: s.DB_PORT,
    maxConnections: s.POSTGRES_MAX_CONNECTIONS,
    report: ctx.report,
  });
  const conn = dbConnection(s, { host: '127.0.0.1', port: pg.port });
  return {
    // The maintenance database first: the configured one may not exist yet on a fresh cluster.
    ...embeddedStarted({
      server: pg,
      connection: conn,
      serves: postgresStrategy({ ...conn, database: 'postgres' }),
      marker: 'postgres',
      dependency: 'db',
    }),
    afterReady: async () => {
      await ensureDatabase(conn);
      const probe = await postgresStrategy(conn).check({ timeoutMs: 3000 });
      if (!probe.ok && probe.fatal) throw probe.fatal;
    },
  };
}

/** redis-server from PATH, or provider `none`: the server's Redis duties fall back to PostgreSQL. */
export async function startEmbeddedRedisDependency(ctx: StackContext): Promise<Started> {
  const s = ctx.settings;
  const previous = (await readState(ctx.project.projectDir, ctx.project.projectName)).services.redis;
  const redis = await startEmbeddedRedis({
    projectDir: ctx.project.projectDir,
    username: s.REDIS_USERNAME,
    password: s.REDIS_PASSWORD,
    preferredPort: s.REDIS_PORT,
    report: ctx.report,
    path: ctx.env.PATH,
    previous: previous?.provider === 'embedded' ? previous : undefined,
  });
  if (!redis) {
    return {
      provider: 'none',
      reused: false,
      created: false,
      record: { provider: 'none', since: new Date().toISOString() },
      logTail: async () => [],
    };
  }
  const conn = redisConnection(s, { host: '127.0.0.1', port: redis.port });
  return embeddedStarted({
    server: redis,
    connection: conn,
    serves: redisStrategy(conn),
    marker: 'redis-server',
    dependency: 'redis',
  });
}
