import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseTimestamptz } from '../../src/server/pg-timestamps.js';

const pgDefault = pg.types.getTypeParser(1184, 'text') as (text: string) => Date | number;
const same = (text: string): void => {
  const expected = pgDefault(text);
  const actual = parseTimestamptz(text);
  expect(actual instanceof Date ? actual.getTime() : actual, text).toEqual(
    expected instanceof Date ? expected.getTime() : expected,
  );
};

describe('timestamptz reader', () => {
  it('reads every shape PostgreSQL sends exactly as pg does', () => {
    const two = (n: number): string => String(n).padStart(2, '0');
    fc.assert(
      fc.property(
        fc.record({
          year: fc.integer({ min: 100, max: 9999 }),
          month: fc.integer({ min: 1, max: 12 }),
          day: fc.integer({ min: 1, max: 28 }),
          h: fc.integer({ min: 0, max: 23 }),
          m: fc.integer({ min: 0, max: 59 }),
          s: fc.integer({ min: 0, max: 59 }),
          frac: fc.option(fc.stringMatching(/^\d{1,6}$/), { nil: undefined }),
          sign: fc.constantFrom('+', '-'),
          oh: fc.integer({ min: 0, max: 15 }),
          om: fc.option(fc.constantFrom(0, 30, 45), { nil: undefined }),
          os: fc.option(fc.integer({ min: 0, max: 59 }), { nil: undefined }),
        }),
        (t) => {
          const offset = `${t.sign}${two(t.oh)}${t.om === undefined ? '' : `:${two(t.om)}${t.os === undefined ? '' : `:${two(t.os)}`}`}`;
          same(
            `${String(t.year).padStart(4, '0')}-${two(t.month)}-${two(t.day)} ${two(t.h)}:${two(t.m)}:${two(t.s)}${t.frac ? `.${t.frac}` : ''}${offset}`,
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('hands what it does not know to pg: infinity, BC, early years, garbage', () => {
    for (const text of [
      'infinity',
      '-infinity',
      '2020-01-01 00:00:00+00 BC',
      '0050-06-01 12:00:00+00',
      '2020-01-01T00:00:00Z',
      '2020-01-01 00:00:00',
      'x'.repeat(30),
    ])
      same(text);
  });
});
