/** Where a resolved setting came from: a file position, the shell, or the schema default. */
export type SettingSource =
  | { kind: 'file'; file: string; line: number; column: number }
  | { kind: 'shell' }
  | { kind: 'default' };

/** `.env:12`, `docker-compose.yaml:88`, `shell`, `default`. */
export function formatSource(source: SettingSource): string {
  return source.kind === 'file' ? `${source.file}:${source.line}` : source.kind;
}
