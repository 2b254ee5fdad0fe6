import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initExists } from './errors.js';

/** Template file (under templates/) → where init writes it. */
const FILES: Array<{ template: string; target: string }> = [
  { template: 'env.template', target: '.env' },
  { template: 'docker-compose.yaml', target: 'docker-compose.yaml' },
  { template: 'plugins/providers/example-provider.js', target: 'plugins/providers/example-provider.js' },
  { template: 'middleware/example.js', target: 'middleware/example.js' },
];

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

export interface InitOptions {
  dir: string;
  /** Overwrite files that exist. @default false */
  force?: boolean;
  /** Source of randomness, replaceable in tests. */
  random?: (bytes: number) => Buffer;
}

/** Writes the project files; refuses (writing nothing) when any exists, unless `force`. */
export async function initProject(options: InitOptions): Promise<{ written: string[] }> {
  const random = options.random ?? randomBytes;
  const targets = FILES.map((f) => ({ ...f, path: path.join(options.dir, f.target) }));
  const existing = targets.filter((t) => existsSync(t.path)).map((t) => t.target);
  if (existing.length && !options.force) {
    throw initExists(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''} in ${options.dir}`, {
      hint: 'Pass --force to overwrite them, or init into another directory.',
    });
  }
  const values: Record<string, string> = {
    SECRET_KEY: random(42).toString('base64'),
    DB_PASSWORD: random(18).toString('hex'),
    REDIS_PASSWORD: random(18).toString('hex'),
  };
  const written: string[] = [];
  for (const t of targets) {
    const text = await readFile(path.join(TEMPLATES_DIR, t.template), 'utf8');
    await mkdir(path.dirname(t.path), { recursive: true });
    await writeFile(
      t.path,
      text.replace(/\{\{([A-Z_]+)\}\}/g, (m, key: string) => values[key] ?? m),
      { mode: t.target === '.env' ? 0o600 : 0o644 },
    );
    written.push(t.path);
  }
  return { written };
}
