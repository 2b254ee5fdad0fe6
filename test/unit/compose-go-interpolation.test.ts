// Runs the interpolation test vectors ported from compose-go (Apache-2.0): see
// test/fixtures/compose-go/NOTICE for the upstream files, commits and what was skipped.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { interpolate, InterpolationError, type Lookup } from '../../src/config/interpolate.js';

interface InterpolationCase {
  name: string;
  template: string;
  env: Record<string, string>;
  expected?: string;
  error?: true;
  errorContains?: string;
  source: string;
  note?: string;
  v1Differs?: string;
}

interface InterpolationVectors {
  _notice: string;
  _license: string;
  cases: InterpolationCase[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/compose-go/interpolation.json', import.meta.url), 'utf8'),
) as InterpolationVectors;

/** A lookup over exactly the names in `env`: anything else (including Object.prototype names) is unset. */
function lookupFrom(env: Record<string, string>): Lookup {
  const map = new Map(Object.entries(env));
  return (name) => map.get(name);
}

function upstreamFile(c: InterpolationCase): string {
  return c.source.split('@')[0] ?? c.source;
}

describe('compose-go interpolation vectors', () => {
  it('carry the upstream attribution', () => {
    expect(vectors._notice).toContain('github.com/compose-spec/compose-go');
    expect(vectors._license).toBe('Apache-2.0');
    const names = vectors.cases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of vectors.cases) {
      expect(c.error === true || typeof c.expected === 'string', c.name).toBe(true);
    }
  });

  const groups = new Map<string, InterpolationCase[]>();
  for (const c of vectors.cases) {
    const file = upstreamFile(c);
    groups.set(file, [...(groups.get(file) ?? []), c]);
  }

  for (const [file, cases] of groups) {
    describe(file, () => {
      for (const c of cases) {
        it(c.name, () => {
          const lookup = lookupFrom(c.env);
          if (c.error) {
            let thrown: unknown;
            try {
              const value = interpolate(c.template, lookup);
              thrown = new Error(`expected an InterpolationError, got ${JSON.stringify(value)}`);
            } catch (e) {
              thrown = e;
            }
            expect(thrown).toBeInstanceOf(InterpolationError);
            const err = thrown as InterpolationError;
            if (c.errorContains !== undefined) expect(err.message).toContain(c.errorContains);
            expect(Number.isInteger(err.offset)).toBe(true);
            expect(err.offset).toBeGreaterThanOrEqual(0);
            expect(err.offset).toBeLessThanOrEqual(c.template.length);
          } else {
            expect(interpolate(c.template, lookup)).toBe(c.expected);
          }
        });
      }
    });
  }
});
