import type { Project } from '../config/project.js';
import type { Settings } from '../config/schema.js';
import type { DbConnection } from './types.js';

/** Where the connection settings came from, for messages (never the password). */
export interface DbTarget {
  connection: DbConnection & { host: string; port: number; user: string; database: string };
  /** `settings` (DB_HOST/DB_PORT/… of the configuration) or the stack state file. */
  source: string;
}

/**
 * The database `difyctl migrate` talks to: DB_HOST, DB_PORT, DB_USERNAME, DB_PASSWORD, DB_DATABASE of
 * the resolved configuration. When `difyctl up` started the dependencies, the running stack's address
 * (e.g. a container published on 127.0.0.1:RANDOM, recorded in `.difyctl/state.json` by src/stack/)
 * replaces DB_HOST/DB_PORT: a compose service name such as `db` does not resolve on the host.
 */
export function resolveDbConnection(
  project: Pick<Project, 'projectDir'>,
  settings: Settings,
  stackAddress?: { host?: string; port?: number },
): DbTarget {
  const fromStack = stackAddress?.host !== undefined && stackAddress.port !== undefined;
  return {
    connection: {
      host: fromStack ? stackAddress.host! : settings.DB_HOST,
      port: fromStack ? stackAddress.port! : settings.DB_PORT,
      user: settings.DB_USERNAME,
      password: settings.DB_PASSWORD,
      database: settings.DB_DATABASE,
    },
    source: fromStack ? `${project.projectDir}/.difyctl/state.json` : 'settings',
  };
}

/** `user@host:port/database`, for messages: never the password. */
export function describeConnection(connection: DbConnection): string {
  if ('connectionString' in connection) {
    try {
      const url = new URL(connection.connectionString);
      return `${decodeURIComponent(url.username)}@${url.hostname}:${url.port || 5432}${url.pathname}`;
    } catch {
      return '(connection string)';
    }
  }
  return `${connection.user}@${connection.host}:${connection.port}/${connection.database}`;
}
