/** When to restart: at once after a healthy run, then doubling per crash in a row, capped. */
export function restartDelay(crashStreak: number, options: { initialMs?: number; maxMs?: number } = {}): number {
  if (crashStreak <= 0) return 0;
  const initial = options.initialMs ?? 250;
  return Math.min(options.maxMs ?? 10_000, initial * 2 ** (crashStreak - 1));
}
