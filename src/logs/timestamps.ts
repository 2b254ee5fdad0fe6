const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/**
 * The time a log line was written, from the formats the stack's parts use:
 * pino JSON (`"time":1732590000000`), ISO 8601 / Docker's RFC 3339 prefix, PostgreSQL's
 * `2026-11-26 02:46:18.123 UTC`, and Redis's `1:C 26 Nov 2026 02:46:18.123`.
 */
export function parseLineTime(text: string): Date | undefined {
  const pino = /"time":\s*(\d{12,})/.exec(text);
  if (pino) return new Date(Number(pino[1]));
  const iso = /^\[?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s?(Z|[+-]\d{2}:?\d{2}|UTC)?/.exec(text);
  if (iso) {
    const zone = !iso[3] || iso[3] === 'UTC' ? 'Z' : iso[3];
    const ms = iso[2]?.replace(/(\.\d{3})\d+/, '$1');
    const date = new Date(`${iso[1]}T${ms}${zone}`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  const redis = /^\d+:[A-Z] (\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?/.exec(text);
  if (redis) {
    const [, d, mon, y, h, mi, s, frac] = redis;
    return new Date(
      Date.UTC(
        Number(y),
        MONTHS[mon ?? ''] ?? 0,
        Number(d),
        Number(h),
        Number(mi),
        Number(s),
        Number((frac ?? '0').padEnd(3, '0')),
      ),
    );
  }
  return undefined;
}

/** `--since`: a duration back from now (`10m`, `1h30m`, `45s`) or an absolute time. */
export function parseSince(value: string, now = new Date()): Date | undefined {
  const relative = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value.trim());
  if (relative && value.trim() !== '') {
    const [, h, m, s] = relative;
    return new Date(now.getTime() - ((Number(h ?? 0) * 60 + Number(m ?? 0)) * 60 + Number(s ?? 0)) * 1000);
  }
  const absolute = new Date(value);
  return Number.isNaN(absolute.getTime()) ? undefined : absolute;
}
