import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors/codes.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documented = [...doc.matchAll(/^### ([A-Z_]+\.[A-Z_.]+)\s*\nExit (\d+)\./gm)].map((m) => ({
  code: m[1] ?? '',
  exit: Number(m[2]),
}));

describe('error codes', () => {
  it('documents every code in docs/errors.md with its exit code', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      const entry = documented.find((d) => d.code === code);
      expect(entry, `${code} is missing from docs/errors.md`).toBeDefined();
      expect(entry?.exit, `${code}: exit code in docs/errors.md`).toBe(info.exit);
    }
  });

  it('documents no code that does not exist', () => {
    const known = new Set(Object.keys(ERROR_CODES));
    expect(documented.filter((d) => !known.has(d.code)).map((d) => d.code)).toEqual([]);
  });

  it('uses dotted upper-case codes', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^[A-Z]+(\.[A-Z_]+)+$/);
  });
});
