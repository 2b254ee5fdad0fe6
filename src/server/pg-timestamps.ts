import pg from 'pg';

/**
 * A faster reader for `timestamptz` columns than pg's default (postgres-date and its regexps, ~6 %
 * of an api process's CPU on the app list). PostgreSQL sends them, under the default ISO DateStyle, as
 * `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]`: that shape is read digit by digit; anything else (BC
 * dates, infinity, years before 100, other DateStyles) goes to the default parser.
 */
const TIMESTAMPTZ_OID = 1184;
const fallback = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text');

/** The number of `length` ASCII digits at `at`, or NaN. */
function digits(text: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

export function parseTimestamptz(text: string): Date {
  const shaped =
    text.length >= 22 && text[4] === '-' && text[7] === '-' && text[10] === ' ' && text[13] === ':' && text[16] === ':';
  const year = shaped ? digits(text, 0, 4) : Number.NaN;
  if (!(year >= 100)) return fallback(text) as Date;
  let at = 19;
  let ms = 0;
  if (text[at] === '.') {
    let scale = 100;
    for (at++; at < text.length && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57; at++) {
      ms += (text.charCodeAt(at) - 48) * scale;
      scale /= 10;
    }
    ms = Math.floor(ms + 1e-9);
  }
  const sign = text[at] === '-' ? -1 : text[at] === '+' ? 1 : 0;
  const rest = text.length - at - 1;
  if (!sign || (rest !== 2 && rest !== 5 && rest !== 8)) return fallback(text) as Date;
  const offset =
    digits(text, at + 1, 2) * 3600 +
    (rest >= 5 ? digits(text, at + 4, 2) * 60 : 0) +
    (rest === 8 ? digits(text, at + 7, 2) : 0);
  const utc = Date.UTC(
    year,
    digits(text, 5, 2) - 1,
    digits(text, 8, 2),
    digits(text, 11, 2),
    digits(text, 14, 2),
    digits(text, 17, 2),
    ms,
  );
  return Number.isNaN(utc + offset) ? (fallback(text) as Date) : new Date(utc - sign * offset * 1000);
}

/** The pool's type parsers: pg's, with parseTimestamptz for `timestamptz`. */
export const poolTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ_OID && format !== 'binary'
      ? parseTimestamptz
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};
