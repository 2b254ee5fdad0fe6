import { appendFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import getPort from 'get-port';
import { runCli, tempDir } from './cli.js';

/** No Docker (a socket that does not exist) and no redis-server (a PATH without it): the embedded default. */
export const NO_DOCKER = { DOCKER_HOST: 'unix:///nonexistent/difyctl-test/docker.sock', PATH: '/nonexistent-bin' };

/**
 * A temp project made by `difyctl init`, with a free DIFY_PORT. Its cleanup runs `down --volumes`
 * (stopping whatever the test started) and removes the dir.
 */
export async function initProject(
  env: Record<string, string | undefined> = NO_DOCKER,
): Promise<{ dir: string; port: number; cleanup: () => Promise<void> }> {
  const { dir, cleanup } = await tempDir('difyctl-project-');
  // The embedded PostgreSQL runs as the postgres user when we are root: it must be able to enter the dir.
  await chmod(dir, 0o755);
  const init = await runCli(['init'], { cwd: dir, env });
  if (init.exitCode !== 0) throw new Error(`difyctl init failed: ${init.stderr}`);
  const port = await getPort();
  // Its own database port too: test files run in parallel, and two embedded stacks that both found
  // 5432 free at the same moment would race for it (the loser's login reaching the winner's server).
  await appendFile(path.join(dir, '.env'), `DIFY_PORT=${port}\nDB_PORT=${await getPort()}\n`);
  return {
    dir,
    port,
    cleanup: async () => {
      await runCli(['down', '--volumes'], { cwd: dir, env, timeoutMs: 120_000 });
      await cleanup();
    },
  };
}

/** The status of the api's GET /health, or undefined when nothing answers. */
export const health = async (port: number) =>
  (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status;
