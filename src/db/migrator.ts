import type pg from 'pg';
import { DifyctlError, usageError } from '../errors/index.js';
import { acquireMigrationLock } from './advisory-lock.js';
import { connectionFailed, openClient } from './client.js';
import { describeConnection } from './connection.js';
import { detectForeignSchema, foreignSchemaError, type ForeignSchema } from './foreign-schema.js';
import { CREATE_HISTORY_TABLE, historyTableExists, readHistory } from './history-table.js';
import { loadMigrations, orderChain } from './registry.js';
import { seedSql } from './seed.js';
import { compareStatus, planDown, planUp, type MigrationStatus } from './status.js';
import {
  applyMigration,
  inTransaction,
  migrationFailed,
  renderDownScript,
  renderUpScript,
  revertMigration,
} from './transaction.js';
import { stampTo } from './stamp.js';
import {
  silentLogger,
  toClientConfig,
  type AppliedMigration,
  type DbConnection,
  type KnownMigration,
  type Migration,
  type MigratorLogger,
} from './types.js';
import { migrateDiverged, migrateUnknownRevision } from './errors.js';

export interface MigratorOptions {
  connection: DbConnection;
  logger?: MigratorLogger;
  /** How long to wait for another migrator's lock. @default 60000 */
  lockTimeoutMs?: number;
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** A chain to use instead of the package's migrations (tests, plugins). */
  migrations?: Migration[];
  /** A folder of migration modules to use instead of the package's. */
  migrationsDir?: string;
  /** Seed SQL run after reaching head; false for none. @default the built-in seed with the built-in chain, none otherwise */
  seed?: string | false;
}

export interface StatusReport extends MigrationStatus {
  /** Set when the database holds Dify's own (Alembic) schema: difyctl will not touch it. */
  foreign: ForeignSchema | null;
}

export interface RunResult {
  /** Revisions applied (up) or reverted (down), in order, with their durations. */
  migrations: { revision: string; description: string; durationMs: number }[];
  seeded: boolean;
  /** The SQL a dry run would execute; set only for dry runs. */
  sql?: string;
  status: StatusReport;
}

export interface HistoryEntry {
  revision: string;
  down_revision: string | null;
  description: string;
  applied: boolean;
  appliedAt: string | null;
  durationMs: number | null;
  drift: boolean;
}

export interface Migrator {
  up(options?: { to?: string; dryRun?: boolean }): Promise<RunResult>;
  down(options?: { steps?: number; to?: string; dryRun?: boolean }): Promise<RunResult>;
  status(): Promise<StatusReport>;
  history(): Promise<HistoryEntry[]>;
  current(): Promise<string | null>;
  stamp(revision: string): Promise<StatusReport>;
  /** The known chain, base first. */
  chain(): Promise<KnownMigration[]>;
}

/** The exactly-once migrator (SPEC §4): an advisory lock per run, one transaction per migration. */
export function createMigrator(options: MigratorOptions): Migrator {
  const logger = options.logger ?? silentLogger;
  const config = toClientConfig(options.connection, options.connectTimeoutMs ?? 10_000);
  const lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
  const builtin = options.migrations === undefined && options.migrationsDir === undefined;
  const seed = options.seed ?? (builtin ? seedSql() : false);
  const database = describeConnection(options.connection);
  let chainPromise: Promise<KnownMigration[]> | undefined;
  const chain = (): Promise<KnownMigration[]> =>
    (chainPromise ??= options.migrations
      ? Promise.resolve(orderChain(options.migrations))
      : loadMigrations(options.migrationsDir));

  /** A plain connection for reads: no lock, creates nothing. */
  async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await openClient(config, options.connection);
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** The lock on its own connection for the whole run; the work on a second one. */
  async function withLock<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const lock = await acquireMigrationLock({
      config,
      timeoutMs: lockTimeoutMs,
      onWait: () =>
        logger.info(`Waiting for another migrator to release the migration lock (up to ${lockTimeoutMs / 1000} s)…`),
    }).catch((error: unknown) => {
      throw error instanceof DifyctlError ? error : connectionFailed(options.connection, error);
    });
    try {
      return await withClient(async (client) => {
        const foreign = await detectForeignSchema(client);
        if (foreign) throw foreignSchemaError(foreign, database);
        await client.query(CREATE_HISTORY_TABLE);
        return fn(client);
      });
    } finally {
      await lock.release().catch(() => {});
    }
  }

  async function report(
    client: pg.Client,
    known: KnownMigration[],
    applied?: AppliedMigration[],
  ): Promise<StatusReport> {
    const foreign = await detectForeignSchema(client);
    const history = applied ?? (foreign ? [] : await readHistory(client));
    return { ...compareStatus(history, known), foreign };
  }

  function requireRevision(known: KnownMigration[], revision: string, flag: string): void {
    if (revision === 'base' || known.some((m) => m.revision === revision)) return;
    throw migrateUnknownRevision(`${flag} names revision ${revision}, which is not a migration of this difyctl`, {
      hint: `Known revisions: base, ${known.map((m) => m.revision).join(', ')} (\`difyctl migrate history\`).`,
    });
  }

  function refuseUnknown(status: MigrationStatus): void {
    if (status.unknown.length === 0) return;
    throw migrateDiverged(`The database has migrations this difyctl does not know: ${status.unknown.join(', ')}`, {
      why: 'A newer difyctl (or another migration folder) migrated this database.',
      hint: 'Use the difyctl version that migrated it, or `difyctl migrate stamp REV` once you know the schema matches.',
    });
  }

  const migrator: Migrator = {
    chain,
    async up({ to, dryRun = false } = {}) {
      const known = await chain();
      if (to !== undefined && to !== 'head') requireRevision(known, to, '--to');
      const target = to === 'head' ? undefined : to;
      if (target === 'base') return migrator.down({ to: 'base', dryRun });
      /** What this run would do, from the history as it is now (read under the lock for a real run). */
      const planFrom = async (client: pg.Client) => {
        const applied = await readHistory(client);
        const before = compareStatus(applied, known);
        refuseUnknown(before);
        const plan = planUp(known, applied, target);
        // The seed needs the whole schema: only when this run leaves the database at head.
        const seedSqlText = seed && known.length > 0 && plan.length === before.pending.length ? seed : undefined;
        return { applied, before, plan, seedSqlText };
      };
      const listed = (plan: KnownMigration[]) =>
        plan.map((m) => ({ revision: m.revision, description: m.description, durationMs: 0 }));
      if (dryRun) {
        return withClient(async (client) => {
          const foreign = await detectForeignSchema(client);
          if (foreign) throw foreignSchemaError(foreign, database);
          const { applied, plan, seedSqlText } = await planFrom(client);
          const createHistory = !(await historyTableExists(client));
          const sql = renderUpScript({ plan, createHistory, seed: seedSqlText });
          return { migrations: listed(plan), seeded: false, sql, status: await report(client, known, applied) };
        });
      }
      return withLock(async (client) => {
        const { before, plan, seedSqlText } = await planFrom(client);
        for (const d of before.drift)
          logger.warn(
            `Migration ${d.revision} changed since it was applied (checksum drift); it is not rerun. \`difyctl migrate stamp head\` accepts the files as they are.`,
          );
        if (plan.length === 0) logger.info(`Nothing to migrate: the database is at ${before.current ?? 'base'}.`);
        const done: RunResult['migrations'] = [];
        for (const m of plan) {
          const durationMs = await applyMigration(client, m);
          logger.info(`Applied ${m.revision} ${m.description} (${durationMs} ms)`);
          done.push({ revision: m.revision, description: m.description, durationMs });
        }
        if (seedSqlText) {
          await inTransaction(client, () => client.query(seedSqlText)).catch((error: unknown) => {
            throw migrationFailed(known.at(-1)!, 'seed', error); // the chain is non-empty when there is seed SQL
          });
        }
        return { migrations: done, seeded: seedSqlText !== undefined, status: await report(client, known) };
      });
    },
    async down({ steps, to, dryRun = false } = {}) {
      const known = await chain();
      if (to !== undefined) requireRevision(known, to, '--to');
      if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) {
        throw usageError(`down takes a positive number of steps, not ${steps}`);
      }
      const run = async (client: pg.Client, execute: boolean): Promise<RunResult> => {
        const applied = await readHistory(client);
        refuseUnknown(compareStatus(applied, known));
        const plan = planDown(known, applied, { steps, to });
        if (!execute)
          return {
            migrations: plan.map((m) => ({ revision: m.revision, description: m.description, durationMs: 0 })),
            seeded: false,
            sql: renderDownScript(plan),
            status: await report(client, known, applied),
          };
        const done: RunResult['migrations'] = [];
        for (const m of plan) {
          const durationMs = await revertMigration(client, m);
          logger.info(`Reverted ${m.revision} ${m.description} (${durationMs} ms)`);
          done.push({ revision: m.revision, description: m.description, durationMs });
        }
        return { migrations: done, seeded: false, status: await report(client, known) };
      };
      if (dryRun) {
        return withClient(async (client) => {
          const foreign = await detectForeignSchema(client);
          if (foreign) throw foreignSchemaError(foreign, database);
          return run(client, false);
        });
      }
      return withLock((client) => run(client, true));
    },
    async status() {
      const known = await chain();
      return withClient((client) => report(client, known));
    },
    async history() {
      const known = await chain();
      const applied = await withClient(async (client) =>
        (await detectForeignSchema(client)) ? [] : readHistory(client),
      );
      const by = new Map(applied.map((a) => [a.revision, a]));
      return known.map((m) => {
        const a = by.get(m.revision);
        return {
          revision: m.revision,
          down_revision: m.down_revision,
          description: m.description,
          applied: a !== undefined,
          appliedAt: a ? a.appliedAt.toISOString() : null,
          durationMs: a ? a.durationMs : null,
          drift: a !== undefined && a.checksum !== m.checksum,
        };
      });
    },
    async current() {
      return (await migrator.status()).current;
    },
    async stamp(revision) {
      const known = await chain();
      const target = revision === 'head' ? (known.at(-1)?.revision ?? 'base') : revision;
      requireRevision(known, target, 'stamp');
      return withLock(async (client) => {
        await stampTo(client, known, target);
        logger.info(`Stamped the database at ${target} without running migrations.`);
        return report(client, known);
      });
    },
  };
  return migrator;
}
