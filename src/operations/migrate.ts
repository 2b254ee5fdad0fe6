import type { ProjectOptions } from '../config/project.js';
import type { HistoryEntry, Migrator, RunResult, StatusReport } from '../db/migrator.js';
import type { MigratorLogger } from '../db/types.js';
import { usageError } from '../errors/index.js';

export const MIGRATE_ACTIONS = ['up', 'down', 'status', 'history', 'current', 'stamp', 'new'] as const;
export type MigrateAction = (typeof MIGRATE_ACTIONS)[number];

export interface MigrateOptions extends ProjectOptions {
  /** @default 'up' */
  action?: MigrateAction;
  /** up/down: stop at this revision (base, head or a revision id); stamp: the revision. */
  to?: string;
  /** down: how many steps. */
  steps?: number;
  /** new: the migration's name. */
  name?: string;
  /** up/down: the SQL that would run; nothing changes. */
  dryRun?: boolean;
  /** How long to wait for another migrator. @default 60_000 */
  lockTimeoutMs?: number;
  /** A folder of migration modules instead of the built-in ones (new: where to write). */
  dir?: string;
  logger?: MigratorLogger;
}

export type MigrateResult =
  | { action: 'up' | 'down'; run: RunResult }
  | { action: 'status' | 'stamp'; status: StatusReport }
  | { action: 'history'; history: HistoryEntry[] }
  | { action: 'current'; current: string | null }
  | { action: 'new'; written: { file: string; revision: string; down_revision: string | null } };

/** CLI.USAGE for `migrate`, with its synopsis. */
export const migrateUsage = (message: string) =>
  usageError(message, 'difyctl migrate [up|down [N]|status|history|current|stamp REV|new NAME] [--to REV] [--dry-run]');

/** The project's database (the running stack's address from `.difyctl/state.json`, else the settings) as a migrator. */
export async function projectMigrator(
  options: Omit<MigrateOptions, 'action'> = {},
): Promise<{ migrator: Migrator; describe: string }> {
  const { loadConfig, requireValid } = await import('../config/resolve.js');
  const { describeConnection } = await import('../db/connection.js');
  const { resolveDbConnection } = await import('../stack/targets.js');
  const { readState } = await import('../stack/state.js');
  const { createMigrator } = await import('../db/migrator.js');
  const config = loadConfig(options);
  const settings = requireValid(config);
  const state = await readState(config.project.projectDir, config.project.projectName);
  const target = resolveDbConnection(config.project, settings, state);
  const migrator = createMigrator({
    connection: target.connection,
    lockTimeoutMs: options.lockTimeoutMs ?? 60_000,
    migrationsDir: options.dir,
    logger: options.logger,
  });
  return { migrator, describe: `${describeConnection(target.connection)} (from ${target.source})` };
}

/** `difyctl migrate` as a function: one action on the project's database. */
export async function migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
  const action = options.action ?? 'up';
  if (!MIGRATE_ACTIONS.includes(action)) throw migrateUsage(`Unknown migrate action "${String(action)}"`);
  if (action === 'new') {
    if (!options.name) throw migrateUsage('migrate new needs a NAME');
    const { writeNewMigration } = await import('../db/new-migration.js');
    const path = await import('node:path');
    const dir = path.resolve(options.projectDir ?? process.cwd(), options.dir ?? 'src/db/migrations');
    return { action, written: await writeNewMigration({ dir, name: options.name }) };
  }
  if (action === 'stamp' && !options.to)
    throw migrateUsage('migrate stamp needs a revision (a revision id, base or head)');
  const { migrator, describe } = await projectMigrator(options);
  options.logger?.debug?.(`database ${describe}`);
  switch (action) {
    case 'up':
      return { action, run: await migrator.up({ to: options.to, dryRun: options.dryRun }) };
    case 'down':
      return { action, run: await migrator.down({ steps: options.steps, to: options.to, dryRun: options.dryRun }) };
    case 'status':
      return { action, status: await migrator.status() };
    case 'history':
      return { action, history: await migrator.history() };
    case 'current':
      return { action, current: await migrator.current() };
    case 'stamp':
      return { action, status: await migrator.stamp(options.to as string) }; // checked above
  }
}
