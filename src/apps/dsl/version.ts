/**
 * DSL versions and Dify's import statuses (services/dsl_version.py check_version_compatibility):
 * a newer file, or an older major, waits for confirmation (`pending`); an older minor imports with
 * warnings; the same minor imports.
 */

/** The DSL version this server writes: Dify 1.x's app DSL (chat/completion shapes unchanged since 0.1). */
export const CURRENT_DSL_VERSION = '0.3.1';

export type ImportStatus = 'completed' | 'completed-with-warnings' | 'pending' | 'failed';

/** `major.minor.patch` (a missing part is 0); null when it is not a version. */
export function parseVersion(version: string): [number, number, number] | null {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(version.trim());
  if (!match) return null;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

/** -1, 0 or 1; both must be versions (parseVersion). */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a) ?? [0, 0, 0];
  const y = parseVersion(b) ?? [0, 0, 0];
  for (let i = 0; i < 3; i += 1) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

/** The status an import of `imported` gets on a server at `current`. */
export function versionStatus(imported: string, current: string = CURRENT_DSL_VERSION): ImportStatus {
  const x = parseVersion(imported);
  const y = parseVersion(current);
  if (!x || !y) return 'failed';
  if (compareVersions(imported, current) > 0) return 'pending';
  if (x[0] < y[0]) return 'pending';
  if (x[1] < y[1]) return 'completed-with-warnings';
  return 'completed';
}
