// Loading and running the test vectors ported from compose-go (Apache-2.0): see
// test/fixtures/compose-go/NOTICE for the upstream files, commits and what was skipped.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** What every ported case carries: its name, upstream `file@commit TestName`, and whether it must fail. */
export interface VectorCase {
  name: string;
  source: string;
  error?: true;
  expected?: unknown;
}

interface Vectors<C extends VectorCase> {
  _notice: string;
  _license: string;
  cases: C[];
}

/**
 * One describe per vector file: a test that the attribution is there and the cases are well-formed,
 * then one `it` per case, grouped by the upstream test file it came from.
 */
export function describeVectors<C extends VectorCase>(args: {
  title: string;
  file: string;
  expectedType: 'string' | 'object';
  run: (c: C) => void;
}): void {
  const vectors = JSON.parse(
    readFileSync(new URL(`../fixtures/compose-go/${args.file}`, import.meta.url), 'utf8'),
  ) as Vectors<C>;
  describe(args.title, () => {
    it('carry the upstream attribution', () => {
      expect(vectors._notice).toContain('github.com/compose-spec/compose-go');
      expect(vectors._license).toBe('Apache-2.0');
      const names = vectors.cases.map((c) => c.name);
      expect(new Set(names).size).toBe(names.length);
      for (const c of vectors.cases)
        expect(c.error === true || typeof c.expected === args.expectedType, c.name).toBe(true);
    });

    const groups = new Map<string, C[]>();
    for (const c of vectors.cases) {
      const upstream = c.source.split('@')[0] ?? c.source;
      groups.set(upstream, [...(groups.get(upstream) ?? []), c]);
    }
    for (const [upstream, cases] of groups) {
      describe(upstream, () => {
        for (const c of cases) it(c.name, () => args.run(c));
      });
    }
  });
}
