import { errorFactory } from '../errors/index.js';

/**
 * The migrator's faults, one factory per code (docs/errors.md). A refused login and a missing
 * database are not here: they are DB.AUTH_FAILED / DB.DATABASE_MISSING on every path (errors/db-login.ts).
 */

/** MIGRATE.CONNECT: PostgreSQL cannot be reached (nothing answers, a host that does not resolve). */
export const migrateConnect = errorFactory('MIGRATE.CONNECT');
/** MIGRATE.LOCK_TIMEOUT: another migrator holds the advisory lock. */
export const migrateLockTimeout = errorFactory('MIGRATE.LOCK_TIMEOUT');
/** MIGRATE.FOREIGN_SCHEMA: the database holds tables difyctl did not create. */
export const migrateForeignSchema = errorFactory('MIGRATE.FOREIGN_SCHEMA');
/** MIGRATE.FAILED: a migration's SQL failed (rolled back). */
export const migrateFailed = errorFactory('MIGRATE.FAILED');
/** MIGRATE.INVALID_CHAIN: the migrations folder is not one chain of revisions. */
export const migrateInvalidChain = errorFactory('MIGRATE.INVALID_CHAIN');
/** MIGRATE.UNKNOWN_REVISION: a revision named on the command line or in the database is unknown. */
export const migrateUnknownRevision = errorFactory('MIGRATE.UNKNOWN_REVISION');
/** MIGRATE.DIVERGED: the database's revision is not on this chain. */
export const migrateDiverged = errorFactory('MIGRATE.DIVERGED');
/** MIGRATE.PENDING: the database is not at head. */
export const migratePending = errorFactory('MIGRATE.PENDING');
/** MIGRATE.NEW_EXISTS: `migrate new` would overwrite a file. */
export const migrateNewExists = errorFactory('MIGRATE.NEW_EXISTS');
