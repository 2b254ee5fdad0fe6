import { DifyctlError } from './difyctl-error.js';

/**
 * The faults of a PostgreSQL login, one factory each: `up` (readiness), `migrate`, `db reset` and the
 * CLI boundary all report a refused login as DB.AUTH_FAILED and a missing database as
 * DB.DATABASE_MISSING, whichever path meets them first.
 */

/** SQLSTATE 28P01 (wrong password) or 28000 (role refused by pg_hba.conf or missing). */
export const isPgLoginRefused = (code: string | undefined) => code === '28P01' || code === '28000';

export function dbAuthFailed(args: { where: string; user: string; message?: string; cause?: unknown }): DifyctlError {
  const message = args.message ?? '';
  return new DifyctlError(
    'DB.AUTH_FAILED',
    `PostgreSQL at ${args.where} refused the login of user "${args.user}": ${message}`.trim(),
    {
      hint: /role .* does not exist/.test(message)
        ? `Set DB_USERNAME to a role that exists on the server (or create "${args.user}").`
        : `Set DB_PASSWORD (and DB_USERNAME) in .env to the server's credentials. A data directory created earlier keeps its first password.`,
      cause: args.cause,
    },
  );
}

/** The server asks for a password and DB_PASSWORD is empty (pg refuses to send none). */
export function dbPasswordEmpty(args: { where: string; user: string; cause?: unknown }): DifyctlError {
  return new DifyctlError(
    'DB.AUTH_FAILED',
    `PostgreSQL at ${args.where} asks user "${args.user}" for a password and DB_PASSWORD is empty`,
    { hint: 'Set DB_PASSWORD in .env.', cause: args.cause },
  );
}

/**
 * The login fault in a PostgreSQL error, whichever path met it (the launcher's readiness probe,
 * migrate, doctor, an api process starting): DB.AUTH_FAILED for a refused login or an empty
 * DB_PASSWORD the server asks for, DB.DATABASE_MISSING for SQLSTATE 3D000; undefined otherwise.
 */
export function pgLoginFault(
  error: unknown,
  conn: { host: string; port: number; user: string; database: string },
): DifyctlError | undefined {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { code?: string; message?: string }; // pg and socket errors both carry `code`
  const where = `${conn.host}:${conn.port}`;
  if (isPgLoginRefused(e.code)) return dbAuthFailed({ where, user: conn.user, message: e.message, cause: error });
  if (e.code === '3D000') return dbDatabaseMissing({ where, ...conn, cause: error });
  // pg refuses to answer a SCRAM challenge without a password ("client password must be a string").
  if (e.code === undefined && /password must be a string/i.test(e.message ?? ''))
    return dbPasswordEmpty({ where, user: conn.user, cause: error });
  return undefined;
}

/** SQLSTATE 3D000. */
export function dbDatabaseMissing(args: {
  where: string;
  host: string;
  port: number;
  user: string;
  database: string;
  cause?: unknown;
}): DifyctlError {
  return new DifyctlError('DB.DATABASE_MISSING', `PostgreSQL at ${args.where} has no database "${args.database}"`, {
    hint: `Create it (\`createdb -h ${args.host} -p ${args.port} -U ${args.user} ${args.database}\`) or set DB_DATABASE to an existing database.`,
    cause: args.cause,
  });
}
