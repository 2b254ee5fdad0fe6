import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DIFY_FIXTURES = fileURLToPath(new URL('../fixtures/dify/', import.meta.url));

/** The two real Dify pairs: newest (1.13.3) and the 0.15-era file. */
export const DIFY_PAIRS = {
  newest: { compose: 'docker-compose.yaml', env: '.env.example' },
  v015: { compose: 'docker-compose-0.15.yaml', env: '.env-0.15.example' },
} as const;

/** A temp project dir holding one Dify pair as `docker-compose.yaml` + `.env`. */
export async function difyProject(
  pair: keyof typeof DIFY_PAIRS,
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `difyctl-${pair}-`));
  await copyFile(path.join(DIFY_FIXTURES, DIFY_PAIRS[pair].compose), path.join(dir, 'docker-compose.yaml'));
  await copyFile(path.join(DIFY_FIXTURES, DIFY_PAIRS[pair].env), path.join(dir, '.env'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
