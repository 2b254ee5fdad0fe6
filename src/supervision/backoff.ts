/**
 * When to restart: at once after a healthy run, then doubling per crash in a row, capped. With the
 * defaults, ten crashes in a row take about 11 s of waiting before the supervisor gives up.
 */
export function restartDelay(crashStreak: number, options: { initialMs?: number; maxMs?: number } = {}): number {
  if (crashStreak <= 0) return 0;
  const initial = options.initialMs ?? 100;
  return Math.min(options.maxMs ?? 2000, initial * 2 ** (crashStreak - 1));
}
