import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

/**
 * The rooms of src/ and what each may import (docs/ARCHITECTURE.md draws the same table). Read
 * from the real import graph: every `import … from './x'`, `export … from` and `import('./x')`
 * with a literal path. A room always may import itself.
 */
export const ALLOWED: Record<string, string[]> = {
  errors: [],
  cache: [],
  output: ['errors'],
  config: ['errors', 'output'],
  supervision: ['errors'],
  db: ['errors', 'config'],
  scaffold: ['errors'],
  'model-runtime': ['errors', 'cache', 'config', 'db'],
  knowledge: ['errors', 'config', 'db', 'model-runtime'],
  apps: ['errors', 'config', 'db', 'model-runtime', 'knowledge'],
  server: ['errors', 'cache', 'config', 'db', 'output', 'model-runtime', 'knowledge', 'apps'],
  stack: ['errors', 'config', 'db', 'output', 'supervision'],
  logs: ['errors', 'config', 'stack', 'supervision'],
  doctor: ['errors', 'config', 'db', 'output', 'stack', 'supervision'],
  'console-client': ['errors', 'config', 'output', 'stack', 'supervision'],
  operations: ['errors', 'config', 'db', 'output', 'supervision', 'stack', 'logs', 'doctor', 'scaffold', 'server'],
  cli: ['errors', 'config', 'db', 'output', 'supervision', 'stack', 'logs', 'doctor', 'operations', 'console-client'],
  index: [
    'errors',
    'config',
    'db',
    'output',
    'supervision',
    'stack',
    'logs',
    'doctor',
    'operations',
    'scaffold',
    'server',
    'model-runtime',
    'console-client',
    'apps',
    'knowledge',
  ],
};

/** Single files allowed across the rules, each with its reason. Keep this list short. */
export const EXCEPTIONS: Record<string, string> = {
  'src/config/schema.ts -> src/server/trust-proxy.ts':
    'FORWARDED_ALLOW_IPS is validated with the parser the server uses',
  'src/stack/launch/ready-marker.ts -> src/server/ready-marker.ts':
    'ps reads the marker with the reader that sits beside its writer',
};

export interface Violation {
  from: string;
  to: string;
}

const SPEC = /(?:\bfrom\s*|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** `src/stack/x.ts` → `stack`; `src/index.ts` → `index`. */
export function roomOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? (parts[1] ?? '') : (parts[1] ?? '').replace(/\.ts$/, '');
}

/** The imports of one file as repo-relative `.ts` paths. */
export function importsOf(file: string, text: string): string[] {
  return [...text.matchAll(SPEC)].map((m) =>
    path.posix.normalize(path.posix.join(path.posix.dirname(file), (m[1] ?? '').replace(/\.js$/, '.ts'))),
  );
}

export function violations(
  files: Array<{ file: string; text: string }>,
  allowed = ALLOWED,
  exceptions = EXCEPTIONS,
): Violation[] {
  const found: Violation[] = [];
  for (const { file, text } of files) {
    const from = roomOf(file);
    for (const target of importsOf(file, text)) {
      const to = roomOf(target);
      if (to === from || exceptions[`${file} -> ${target}`]) continue;
      const rules = allowed[from] ?? [];
      // A rule is a room, or one module of another room (`server/ready-marker.ts`).
      if (!rules.includes(to) && !rules.includes(target.replace(/^src\//, ''))) found.push({ from: file, to: target });
    }
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

describe('import rules (docs/ARCHITECTURE.md)', () => {
  const files = sourceFiles('src').map((file) => ({ file, text: readFileSync(path.join(REPO_ROOT, file), 'utf8') }));

  it('every room of src/ has a rule', () => {
    expect([...new Set(files.map((f) => roomOf(f.file)))].filter((room) => !(room in ALLOWED))).toEqual([]);
    const modules = Object.values(ALLOWED)
      .flat()
      .filter((rule) => rule.includes('/'));
    expect(modules.filter((m) => !files.some((f) => f.file === `src/${m}`))).toEqual([]);
  });

  it('no file imports a room its own room may not', () => {
    expect(violations(files)).toEqual([]);
  });

  it('every exception is still used (the list cannot grow stale)', () => {
    const used = new Set(files.flatMap(({ file, text }) => importsOf(file, text).map((t) => `${file} -> ${t}`)));
    expect(Object.keys(EXCEPTIONS).filter((e) => !used.has(e))).toEqual([]);
  });

  it('reports a violation (the check can fail): the server importing the CLI, a dynamic import of the stack', () => {
    const bad = [
      { file: 'src/server/app.ts', text: "import { COMMANDS } from '../cli/registry.js';" },
      { file: 'src/supervision/spawn.ts', text: "const { createStack } = await import('../stack/stack.js');" },
      { file: 'src/stack/up.ts', text: "import type { Settings } from '../config/schema.js';" },
    ];
    expect(violations(bad)).toEqual([
      { from: 'src/server/app.ts', to: 'src/cli/registry.ts' },
      { from: 'src/supervision/spawn.ts', to: 'src/stack/stack.ts' },
    ]);
  });
});
