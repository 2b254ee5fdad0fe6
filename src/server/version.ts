import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The package version, for X-Version and /health (src/server and dist/server both sit two levels down). */
export function serverVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
  return cached;
}
