import { createMigrator } from '../../db/migrator.js';
import { dbTarget, stackState } from '../targets.js';
import { SETTINGS_DO_NOT_PARSE, type Check, type CheckResult } from '../types.js';

/** At head / pending / drift / unknown revisions / a Dify (alembic) schema. */
export const dbMigrationsCheck: Check = {
  id: 'db.migrations',
  title: 'Database migrations',
  dependsOn: ['db.connect'],
  run: async ({ config }): Promise<CheckResult> => {
    const s = config.typed;
    if (!s) return SETTINGS_DO_NOT_PARSE;
    const { from: _from, ...connection } = dbTarget(s, await stackState(config));
    const status = await createMigrator({ connection, connectTimeoutMs: 1500 }).status();
    if (status.foreign) {
      return {
        status: 'fail',
        finding: `the database holds Dify's own schema (alembic_version ${status.foreign.version ?? '?'}): difyctl will not migrate over it`,
        fix: 'Point DB_DATABASE at a new database for difyctl, or `difyctl db reset` to start empty.',
      };
    }
    if (status.drift.length) {
      return {
        status: 'fail',
        finding: `${status.drift.length} applied migration(s) changed since they ran: ${status.drift.map((d) => d.revision).join(', ')}`,
        fix: 'Restore the original migration files, or `difyctl migrate stamp <rev>` if the change is intended.',
      };
    }
    if (status.pending.length) {
      return {
        status: 'fail',
        finding: `${status.pending.length} pending migration(s): ${status.pending.join(', ')} (current ${status.current ?? 'base'})`,
        fix: 'Run `difyctl migrate` (or `difyctl up`, which migrates when MIGRATION_ENABLED=true).',
      };
    }
    if (status.unknown.length) {
      return {
        status: 'warn',
        finding: `the database has revisions this difyctl does not know: ${status.unknown.join(', ')}`,
        fix: 'A newer difyctl migrated it: upgrade difyctl.',
      };
    }
    return { status: 'ok', finding: `at head ${status.head ?? '(no migrations)'}` };
  },
};
