// Runs the .env parsing test vectors ported from compose-go (Apache-2.0; its dotenv package
// derives from joho/godotenv, MIT): see test/fixtures/compose-go/NOTICE for the upstream
// files, commits and what was skipped.
import { expect } from 'vitest';
import { parseDotenv, DotenvParseError, type DotenvEntry } from '../../src/config/dotenv.js';
import type { Lookup } from '../../src/config/interpolate.js';
import { describeVectors } from '../helpers/compose-go-vectors.js';

interface DotenvCase {
  name: string;
  input: string;
  lookupEnv?: Record<string, string>;
  expected?: Record<string, string>;
  partial?: true;
  lookupMustBeAskedFor?: string[];
  error?: true;
  errorContains?: string;
  errorLine?: number;
  source: string;
  note?: string;
  v1Differs?: string;
}

/** Entries to a map, later entries winning for duplicate keys. */
function toMap(entries: DotenvEntry[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const e of entries) map.set(e.key, e.value);
  return map;
}

describeVectors<DotenvCase>({
  title: 'compose-go dotenv vectors',
  file: 'dotenv.json',
  expectedType: 'object',
  run: (c) => {
    const asked = new Set<string>();
    let options: { lookup?: Lookup } | undefined;
    if (c.lookupEnv !== undefined) {
      const env = new Map(Object.entries(c.lookupEnv));
      options = {
        lookup: (name) => {
          asked.add(name);
          return env.get(name);
        },
      };
    }

    if (c.error) {
      let thrown: unknown;
      try {
        const entries = parseDotenv(c.input, options);
        thrown = new Error(`expected a DotenvParseError, got ${JSON.stringify(Object.fromEntries(toMap(entries)))}`);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(DotenvParseError);
      const err = thrown as DotenvParseError;
      if (c.errorContains !== undefined) expect(err.message).toContain(c.errorContains);
      if (c.errorLine !== undefined) expect(err.line).toBe(c.errorLine);
      expect(Number.isInteger(err.line) && err.line >= 1).toBe(true);
      expect(Number.isInteger(err.column) && err.column >= 1).toBe(true);
      return;
    }

    const entries = parseDotenv(c.input, options);
    for (const e of entries) {
      expect(Number.isInteger(e.line) && e.line >= 1, `line of ${e.key}`).toBe(true);
      expect(Number.isInteger(e.column) && e.column >= 1, `column of ${e.key}`).toBe(true);
    }
    const map = toMap(entries);
    const expected = c.expected ?? {};
    if (c.partial) {
      for (const [key, value] of Object.entries(expected)) {
        expect(map.has(key), `key ${key}`).toBe(true);
        expect(map.get(key), `value of ${key}`).toBe(value);
      }
    } else {
      expect(Object.fromEntries(map)).toEqual(expected);
    }
    for (const name of c.lookupMustBeAskedFor ?? []) {
      expect(asked.has(name), `lookup asked for ${name}`).toBe(true);
    }
  },
});
