import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = path.join(REPO_ROOT, 'bin/difyctl.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Variables the CLI process inherits; everything else (vitest's MODE, NODE_ENV…) stays out. */
const INHERITED = /^(PATH|HOME|TMPDIR|LANG|LC_ALL|USER|CI|DOCKER_HOST|DOCKER_CONTEXT|DOCKER_CONFIG|DIFYCTL_.*)$/;

export function baseEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => INHERITED.test(k)));
}

/**
 * Runs the built CLI (`npm test` builds first) as a separate process, as a user would, with a
 * small inherited environment (see INHERITED) plus `env`; pass `undefined` to remove a variable.
 */
export async function runCli(
  args: string[],
  options: {
    cwd?: string;
    env?: Record<string, string | undefined>;
    timeoutMs?: number /** what the process reads on stdin (default: none) */;
    input?: string;
  } = {},
): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...baseEnv(), NO_COLOR: '1', ...options.env };
  const result = await execa(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    extendEnv: false,
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A temp dir removed after the test: `await using`-free for Node 20. */
export async function tempDir(prefix = 'difyctl-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
