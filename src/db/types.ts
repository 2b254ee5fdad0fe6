import type { ClientConfig } from 'pg';

/** One migration: a node of Alembic's chain (each names the revision it follows). */
export interface Migration {
  revision: string;
  /** The revision this one follows; null for the first. */
  down_revision: string | null;
  description: string;
  /** SQL run in one transaction when migrating up (multiple statements allowed). */
  up: string;
  /** SQL run in one transaction when migrating down. */
  down: string;
  /** Where it was loaded from, for messages. */
  file?: string;
}

/** A migration of the chain with the checksum of its `up` SQL. */
export interface KnownMigration extends Migration {
  checksum: string;
}

/** A row of `difyctl_migrations`. */
export interface AppliedMigration {
  revision: string;
  checksum: string;
  description: string;
  appliedAt: Date;
  durationMs: number;
}

/** A PostgreSQL server and database by discrete settings (the stack's, the server's, pg-boss's). */
export interface DbServer {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** node-postgres TLS options from DB_EXTRAS (sslmode, sslrootcert…); false or absent = plain. */
  ssl?: false | import('node:tls').ConnectionOptions;
}

/** Where PostgreSQL is: discrete settings or a URL. */
export type DbConnection = DbServer | { connectionString: string };

/** Progress messages of the migrator; services never print, the CLI decides. */
export interface MigratorLogger {
  info(message: string): void;
  warn(message: string): void;
  debug?(message: string): void;
}

export const silentLogger: MigratorLogger = { info: () => {}, warn: () => {} };

export function toClientConfig(connection: DbConnection, connectTimeoutMs: number): ClientConfig {
  return { ...connection, connectionTimeoutMillis: connectTimeoutMs, application_name: 'difyctl-migrate' };
}
