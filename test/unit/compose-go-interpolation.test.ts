// Runs the interpolation test vectors ported from compose-go (Apache-2.0): see
// test/fixtures/compose-go/NOTICE for the upstream files, commits and what was skipped.
import { expect } from 'vitest';
import { interpolate, InterpolationError, type Lookup } from '../../src/config/interpolate.js';
import { describeVectors } from '../helpers/compose-go-vectors.js';

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

/** A lookup over exactly the names in `env`: anything else (including Object.prototype names) is unset. */
function lookupFrom(env: Record<string, string>): Lookup {
  const map = new Map(Object.entries(env));
  return (name) => map.get(name);
}

describeVectors<InterpolationCase>({
  title: 'compose-go interpolation vectors',
  file: 'interpolation.json',
  expectedType: 'string',
  run: (c) => {
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
  },
});
