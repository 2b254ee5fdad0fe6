const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a compose/Go duration (`30s`, `1m30s`, `500ms`, `1.5h`); a bare number is seconds, as
 * compose accepts for healthcheck fields.
 * @returns milliseconds, or undefined when the text is not a duration
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return text * 1000;
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = part.exec(trimmed); m; m = part.exec(trimmed)) {
    total += Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 0);
    matched = part.lastIndex;
  }
  return matched === trimmed.length && matched > 0 ? total : undefined;
}
