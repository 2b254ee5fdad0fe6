import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { KnownMigration, Migration } from './types.js';
import { migrateInvalidChain } from './errors.js';

/** The package's own migrations: `src/db/migrations/` under vitest, `dist/db/migrations/` at run time. */
export const BUILTIN_MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** `<revision>_<slug>.ts|.js|.mjs`, not declaration files or source maps. */
const MIGRATION_FILE = /^([0-9A-Za-z]+)_[\w-]+\.(?:ts|js|mjs)$/;

/** Checksum of a migration: sha256 of its `up` SQL with line endings normalised. */
export function checksumOf(up: string): string {
  return createHash('sha256').update(up.replaceAll('\r\n', '\n')).digest('hex');
}

function isMigration(value: Record<string, unknown>): boolean {
  return (
    typeof value.revision === 'string' &&
    (value.down_revision === null || typeof value.down_revision === 'string') &&
    typeof value.up === 'string' &&
    typeof value.down === 'string'
  );
}

/** Imports every migration module of a folder; the chain order comes from `down_revision`, not names. */
export async function loadMigrations(dir: string = BUILTIN_MIGRATIONS_DIR): Promise<KnownMigration[]> {
  const names = (await readdir(dir)).filter((n) => MIGRATION_FILE.test(n) && !n.endsWith('.d.ts')).sort();
  const modules: Migration[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    if (!isMigration(mod)) {
      throw migrateInvalidChain(`${file} is not a migration module`, {
        hint: 'Export `revision`, `down_revision` (null for the first), `description`, `up` and `down` (SQL strings).',
      });
    }
    modules.push({ ...(mod as unknown as Migration), description: String(mod.description ?? ''), file });
  }
  return orderChain(modules);
}

const where = (m: Migration): string => m.file ?? `revision ${m.revision}`;

/**
 * Orders migrations from base to head by following `down_revision`, and refuses anything that is not
 * one straight chain: duplicates, two bases, a fork (two children of one revision), a dangling parent.
 */
export function orderChain(migrations: Migration[]): KnownMigration[] {
  const byRevision = new Map<string, Migration>();
  const childOf = new Map<string | null, Migration>();
  for (const m of migrations) {
    const fail = (message: string): never => {
      throw migrateInvalidChain(message, {
        hint: 'Each migration must follow exactly one other (`down_revision`); the first has null.',
      });
    };
    if (byRevision.has(m.revision))
      fail(`Two migrations have revision ${m.revision}: ${where(byRevision.get(m.revision)!)} and ${where(m)}`);
    const sibling = childOf.get(m.down_revision);
    if (sibling) fail(`${where(sibling)} and ${where(m)} both follow ${m.down_revision ?? 'base'}: the chain forks`);
    byRevision.set(m.revision, m);
    childOf.set(m.down_revision, m);
  }
  for (const m of migrations) {
    if (m.down_revision !== null && !byRevision.has(m.down_revision)) {
      throw migrateInvalidChain(`${where(m)} follows ${m.down_revision}, which no migration defines`);
    }
  }
  const ordered: KnownMigration[] = [];
  for (let m = childOf.get(null); m; m = childOf.get(m.revision)) ordered.push({ ...m, checksum: checksumOf(m.up) });
  if (ordered.length !== migrations.length) {
    throw migrateInvalidChain('The migrations do not form one chain from a single base (a cycle or a second base)');
  }
  return ordered;
}
