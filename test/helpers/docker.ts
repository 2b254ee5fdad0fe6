// Docker-engine gate for integration tests.
//
//   import { describeDocker } from './docker.js';
//   describeDocker('containers', () => { it(...) });
//
// The suite runs when an engine answers at DOCKER_HOST (or the default socket, as dockerode and
// the docker CLI pick it). Otherwise: with DIFYCTL_REQUIRE_DOCKER=1 (CI) it FAILS with one test
// that says where it looked; without it (a laptop with no Docker) it is skipped with a visible
// message. A local engine for these machines: `eval "$(test/docker/start-dockerd.sh)"`, then
// `test/docker/build-images.sh` for the images the tests use.
import Docker from 'dockerode';
import { describe, it, type SuiteOptions } from 'vitest';

const PING_TIMEOUT_MS = 3_000;

/** Where dockerode looks for the engine, for messages. */
export function dockerEndpoint(): string {
  const host = process.env.DOCKER_HOST;
  return host ? `DOCKER_HOST=${host}` : 'the default socket (/var/run/docker.sock; DOCKER_HOST unset)';
}

let cached: Promise<boolean> | undefined;

/** True when a Docker engine answers a ping (cached for the process). Never throws. */
export function dockerAvailable(): Promise<boolean> {
  cached ??= (async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const docker = new Docker({ timeout: PING_TIMEOUT_MS });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('ping timed out')), PING_TIMEOUT_MS);
      });
      const answer = await Promise.race([docker.ping(), timeout]);
      return String(answer).trim() === 'OK';
    } catch {
      return false;
    } finally {
      if (timer) clearTimeout(timer);
    }
  })();
  return cached;
}

/** True when Docker tests must run (CI): a missing engine is then a failure, not a skip. */
export const dockerRequired = process.env.DIFYCTL_REQUIRE_DOCKER === '1';

const available = await dockerAvailable();
let warned = false;

/**
 * `describe` for suites that need a Docker engine. Runs the suite when one answers; otherwise
 * fails (DIFYCTL_REQUIRE_DOCKER=1) or skips with a console message.
 */
export function describeDocker(name: string, fn: () => void, options?: SuiteOptions): void {
  if (available) {
    describe(name, options ?? {}, fn);
    return;
  }
  const where = dockerEndpoint();
  if (dockerRequired) {
    describe(name, () => {
      it('Docker engine is reachable', () => {
        throw new Error(
          `Docker engine required (DIFYCTL_REQUIRE_DOCKER=1) but not reachable at ${where}. ` +
            'Start one with: eval "$(test/docker/start-dockerd.sh)" && test/docker/build-images.sh',
        );
      });
    });
    return;
  }
  if (!warned) {
    warned = true;
    console.warn(
      `[difyctl tests] No Docker engine at ${where}: skipping Docker tests ` +
        '(set DIFYCTL_REQUIRE_DOCKER=1 to make this a failure).',
    );
  }
  console.warn(`[difyctl tests] skipped (no Docker engine): ${name}`);
  describe.skip(name, fn);
}
