import pg from 'pg';
import { type DifyctlError, pgLoginFault } from '../errors/index.js';
import { describeConnection } from './connection.js';
import type { DbConnection } from './types.js';
import { migrateConnect } from './errors.js';

/** SQLSTATEs of a refused login or a missing database, with the variable that fixes each. */
const LOGIN_PROBLEMS: Record<string, string> = {
  '28P01': 'DB_USERNAME / DB_PASSWORD',
  '28000': 'DB_USERNAME (pg_hba.conf refuses it)',
  '3D000': 'DB_DATABASE',
};

export function connectionFailed(connection: DbConnection, error: unknown): DifyctlError {
  const e = error as { code?: string; message?: string }; // pg DatabaseError or a Node system error
  const target = describeConnection(connection);
  // A refused login or a missing database is the same fault whichever command meets it (as `up` reports it).
  const login = 'user' in connection ? pgLoginFault(error, connection) : undefined;
  if (login) return login;
  const variable = (e.code && LOGIN_PROBLEMS[e.code]) ?? 'DB_HOST / DB_PORT';
  const serviceName =
    e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
      ? ' A compose service name (db) only resolves inside the compose network: from the host use 127.0.0.1, or let `difyctl up` start the stack.'
      : '';
  return migrateConnect(`Cannot connect to PostgreSQL at ${target}: ${e.message ?? String(error)}`, {
    hint: `Check ${variable} in .env (or the shell), or start the database with \`difyctl up\`.${serviceName} \`difyctl doctor --only db.connect\` tells which step fails.`,
    details: { target, code: e.code },
    cause: error,
  });
}

/** A connected client whose connection-level errors reject queries instead of crashing the process. */
export async function openClient(config: pg.ClientConfig, connection: DbConnection): Promise<pg.Client> {
  const client = new pg.Client(config);
  client.on('error', () => {}); // a dropped connection makes the pending query reject; that is reported
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw connectionFailed(connection, error);
  }
  return client;
}
