import type { DbConnection } from './types.js';

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
