import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fsNotFound, usageError } from '../errors/index.js';
import { orderChain } from './registry.js';
import type { Migration } from './types.js';
import { migrateNewExists } from './errors.js';

export const MIGRATION_TEMPLATE = fileURLToPath(new URL('../../templates/migration.ts.template', import.meta.url));

const REVISION = /export const revision\s*=\s*['"]([^'"]+)['"]/;
const DOWN_REVISION = /export const down_revision\s*=\s*(null|['"]([^'"]+)['"])/;

/**
 * Reads revision and down_revision of each migration source file without importing it (Node cannot
 * import the `.ts` files of a checkout), to find the chain's head.
 */
export async function readChainHeads(dir: string): Promise<Migration[]> {
  const names = (await readdir(dir)).filter(
    (n) => /^[0-9A-Za-z]+_[\w-]+\.(?:ts|js|mjs)$/.test(n) && !n.endsWith('.d.ts'),
  );
  const found: Migration[] = [];
  for (const name of names) {
    const text = await readFile(path.join(dir, name), 'utf8');
    const revision = REVISION.exec(text)?.[1];
    const down = DOWN_REVISION.exec(text);
    if (!revision || !down) continue;
    found.push({
      revision,
      down_revision: down[1] === 'null' ? null : (down[2] ?? null),
      description: '',
      up: '',
      down: '',
      file: path.join(dir, name),
    });
  }
  return found;
}

/** The next revision id: one more than the highest numeric revision (zero-padded), else Alembic-style hex. */
export function nextRevision(revisions: string[]): string {
  if (revisions.length > 0 && !revisions.every((r) => /^\d+$/.test(r))) return randomBytes(6).toString('hex');
  const next = Math.max(0, ...revisions.map(Number)) + 1;
  return String(next).padStart(Math.max(4, ...revisions.map((r) => r.length)), '0');
}

export function slugOf(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!slug) throw usageError(`migrate new needs a NAME with letters or digits, not "${name}"`);
  return slug;
}

/** Writes `<revision>_<slug>.ts` from the template, following the current head. */
export async function writeNewMigration(options: {
  dir: string;
  name: string;
  now?: Date;
}): Promise<{ file: string; revision: string; down_revision: string | null }> {
  if (!existsSync(options.dir)) {
    throw fsNotFound(`Migrations folder not found: ${options.dir}`, {
      hint: 'Run from a difyctl checkout (src/db/migrations/) or pass --dir DIR.',
    });
  }
  const slug = slugOf(options.name);
  const name = options.name.replace(/\s+/g, ' ').trim();
  const chain = orderChain(await readChainHeads(options.dir));
  const head = chain.at(-1)?.revision ?? null;
  const revision = nextRevision(chain.map((m) => m.revision));
  const file = path.join(options.dir, `${revision}_${slug}.ts`);
  if (existsSync(file)) throw migrateNewExists(`${file} already exists`);
  const template = await readFile(MIGRATION_TEMPLATE, 'utf8');
  const text = template
    .replaceAll('{{revision}}', revision)
    .replaceAll('{{down_revision}}', head === null ? 'null' : `'${head}'`)
    .replaceAll('{{description_literal}}', name.replaceAll('\\', '\\\\').replaceAll("'", "\\'"))
    .replaceAll('{{description}}', name.replaceAll('*/', '* /'))
    .replaceAll('{{created}}', (options.now ?? new Date()).toISOString());
  await writeFile(file, text, { flag: 'wx' });
  return { file, revision, down_revision: head };
}
