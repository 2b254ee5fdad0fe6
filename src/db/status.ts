import type { AppliedMigration, KnownMigration } from './types.js';

/** An applied migration whose file changed since it ran. */
export interface Drift {
  revision: string;
  appliedChecksum: string;
  currentChecksum: string;
}

/** Where the database stands against the chain the package knows. */
export interface MigrationStatus {
  /** The newest applied revision of the chain, or null at base. */
  current: string | null;
  /** The last revision of the chain, or null when there are no migrations. */
  head: string | null;
  /** Revisions of the chain not applied yet, in the order `up` applies them. */
  pending: string[];
  /** Applied migrations whose checksum no longer matches their file. */
  drift: Drift[];
  /** Applied revisions this version of difyctl does not know (a newer difyctl migrated this database). */
  unknown: string[];
  /** True when nothing is pending and nothing drifted. */
  upToDate: boolean;
}

/** A pure comparison of (applied history, known chain): no database, no clock. */
export function compareStatus(applied: AppliedMigration[], chain: KnownMigration[]): MigrationStatus {
  const appliedBy = new Map(applied.map((a) => [a.revision, a]));
  const known = new Set(chain.map((m) => m.revision));
  let current: string | null = null;
  const pending: string[] = [];
  const drift: Drift[] = [];
  for (const m of chain) {
    const a = appliedBy.get(m.revision);
    if (!a) {
      pending.push(m.revision);
      continue;
    }
    current = m.revision;
    if (a.checksum !== m.checksum)
      drift.push({ revision: m.revision, appliedChecksum: a.checksum, currentChecksum: m.checksum });
  }
  const unknown = applied.filter((a) => !known.has(a.revision)).map((a) => a.revision);
  const head = chain.at(-1)?.revision ?? null;
  return {
    current,
    head,
    pending,
    drift,
    unknown,
    upToDate: pending.length === 0 && drift.length === 0 && unknown.length === 0,
  };
}

/** The migrations `up` runs to reach `to` (default head): pending ones up to and including `to`. */
export function planUp(chain: KnownMigration[], applied: AppliedMigration[], to?: string): KnownMigration[] {
  const done = new Set(applied.map((a) => a.revision));
  const end = to === undefined ? chain.length : chain.findIndex((m) => m.revision === to) + 1;
  return chain.slice(0, end).filter((m) => !done.has(m.revision));
}

/**
 * The migrations `down` reverts, newest first: `steps` applied ones, or every applied one after `to`
 * (`'base'` reverts all).
 */
export function planDown(
  chain: KnownMigration[],
  applied: AppliedMigration[],
  options: { steps?: number; to?: string },
): KnownMigration[] {
  const done = new Set(applied.map((a) => a.revision));
  const appliedChain = chain.filter((m) => done.has(m.revision)).reverse();
  if (options.to !== undefined) {
    const keep = options.to === 'base' ? 0 : chain.findIndex((m) => m.revision === options.to) + 1;
    return appliedChain.filter((m) => chain.indexOf(m) >= keep);
  }
  return appliedChain.slice(0, options.steps ?? 1);
}
