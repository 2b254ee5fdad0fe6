/** Levenshtein distance, bounded: returns max+1 as soon as it is exceeded. */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      row.push(v);
      best = Math.min(best, v);
    }
    if (best > max) return max + 1;
    prev = row;
  }
  return prev[b.length] ?? max + 1;
}

/**
 * A key that is not known but one or two edits from a known one (`DB_PASWORD` → `DB_PASSWORD`).
 * Short keys allow one edit; longer ones two.
 */
export function nearMiss(key: string, known: readonly string[]): string | undefined {
  if (known.includes(key)) return undefined;
  const allowed = key.length <= 10 ? 1 : 2;
  let best: { key: string; d: number } | undefined;
  for (const candidate of known) {
    const d = editDistance(key.toUpperCase(), candidate, allowed);
    if (d <= allowed && (!best || d < best.d)) best = { key: candidate, d };
  }
  return best?.key;
}
