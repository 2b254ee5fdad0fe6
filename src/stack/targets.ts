import type { Project } from '../config/project.js';
import { parseDbExtras, pgSsl } from '../config/db-extras.js';
import type { Settings } from '../config/schema.js';
import type { DependencyRecord, StackState } from './state.js';
import type { DbConnection, RedisConnection } from './types.js';

/**
 * Where a dependency answers: the address `up` recorded in `.difyctl/state.json` (a container
 * published on 127.0.0.1:RANDOM, an embedded server on a free port), else the settings — a compose
 * service name such as `db` does not resolve on the host. The one owner of that rule: `migrate`,
 * `doctor`, `ps` (the ready marker) all ask here.
 */
export function dependencyAddress(
  record: Pick<DependencyRecord, 'host' | 'port' | 'provider'> | undefined,
  host: string,
  port: number,
): { host: string; port: number; from: string; recorded: boolean } {
  if (record?.host && record.port)
    return { host: record.host, port: record.port, from: `${record.provider} (state)`, recorded: true };
  return { host, port, from: 'settings', recorded: false };
}

export function dbTarget(
  settings: Settings,
  state: StackState,
): DbConnection & { host: string; port: number; user: string; database: string; from: string } {
  const a = dependencyAddress(state.services.db, settings.DB_HOST, settings.DB_PORT);
  return {
    host: a.host,
    port: a.port,
    user: settings.DB_USERNAME,
    password: settings.DB_PASSWORD,
    database: settings.DB_DATABASE,
    ssl: pgSsl(parseDbExtras(settings.DB_EXTRAS).extras),
    from: a.from,
  };
}

/** 'none' when the stack runs without Redis (the PostgreSQL fallback). */
export function redisTarget(settings: Settings, state: StackState): (RedisConnection & { from: string }) | 'none' {
  if (state.services.redis?.provider === 'none') return 'none';
  const a = dependencyAddress(state.services.redis, settings.REDIS_HOST, settings.REDIS_PORT);
  return {
    host: a.host,
    port: a.port,
    username: settings.REDIS_USERNAME,
    password: settings.REDIS_PASSWORD,
    db: settings.REDIS_DB,
    from: a.from,
  };
}

/** Where the connection settings came from, for messages (never the password). */
export interface DbTarget {
  connection: DbConnection & { host: string; port: number; user: string; database: string };
  /** `settings` (DB_HOST/DB_PORT/… of the configuration) or the stack state file. */
  source: string;
}

/** The database `difyctl migrate` talks to (see dependencyAddress), with where its address came from. */
export function resolveDbConnection(
  project: Pick<Project, 'projectDir'>,
  settings: Settings,
  state: StackState,
): DbTarget {
  const { from: _from, ...connection } = dbTarget(settings, state);
  const recorded = dependencyAddress(state.services.db, settings.DB_HOST, settings.DB_PORT).recorded;
  return { connection, source: recorded ? `${project.projectDir}/.difyctl/state.json` : 'settings' };
}
