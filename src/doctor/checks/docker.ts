import { projectEndpoint } from '../../stack/providers/docker/engine.js';
import { stackState } from '../targets.js';
import type { Check, CheckResult } from '../types.js';

/** The engine answers when the stack needs it (a docker-provided dependency, or a compose db/redis not running elsewhere). */
export const dockerCheck: Check = {
  id: 'docker',
  title: 'Docker engine',
  applies: (config) => config.project.compose !== undefined,
  run: async ({ config, env, connect }): Promise<CheckResult> => {
    const state = await stackState(config);
    const usesDocker = Object.values(state.services).some((r) => r?.provider === 'docker');
    // The engine `up` recorded when the shell names none: that is where this stack's containers are.
    const endpoint = projectEndpoint({ env, recorded: state.engine });
    const engine = await connect({ env, timeoutMs: 1500, recorded: state.engine });
    if (!engine) {
      if (!usesDocker)
        return {
          status: 'ok',
          finding: `not reachable at ${endpoint.host} (${endpoint.source}); not needed: the stack runs without Docker`,
        };
      return {
        status: 'fail',
        finding: `the engine does not answer at ${endpoint.host} (${endpoint.source}), and this stack's containers need it`,
        fix: 'Start Docker (`systemctl start docker`), or set DOCKER_HOST; `difyctl up --provider embedded` runs without it.',
      };
    }
    const version = await engine.version().catch(() => undefined);
    return {
      status: 'ok',
      finding: `Docker ${version?.Version ?? '?'} (API ${version?.ApiVersion ?? '?'}) at ${endpoint.host}`,
    };
  },
};
