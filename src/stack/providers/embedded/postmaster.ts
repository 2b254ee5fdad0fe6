import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pidRuns } from '../../../supervision/process.js';

export const embeddedPostgresDir = (projectDir: string) => path.join(projectDir, '.difyctl', 'embedded', 'postgres');

/** The running server of this data dir, from its postmaster.pid (pid on line 1, port on line 4). */
export async function runningPostmaster(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const text = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  // postgres runs in its data dir: a reused pid (another project's postgres) is not ours.
  return (await pidRuns(pid, 'postgres', dataDir)) ? { pid, port } : undefined;
}
