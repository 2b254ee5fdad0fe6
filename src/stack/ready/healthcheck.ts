import { DifyctlError } from '../../errors/index.js';
import { notReady, reasonOf, type Probe, type ReadinessStrategy } from './strategy.js';

/** The part of `docker inspect` this strategy reads. */
export interface ContainerState {
  Status?: string;
  Running?: boolean;
  ExitCode?: number;
  Health?: { Status?: string; Log?: Array<{ ExitCode?: number; Output?: string }> };
}

export interface InspectableContainer {
  inspect(): Promise<{ State?: ContainerState; HostConfig?: { RestartPolicy?: { Name?: string } } }>;
}

/**
 * Ready when the container's compose healthcheck reports healthy (a container without a
 * healthcheck is ready once running). A container that exited and will not be restarted is fatal.
 */
export function healthcheckStrategy(args: { container: InspectableContainer; name: string }): ReadinessStrategy {
  return {
    name: `healthcheck of container ${args.name}`,
    async check(): Promise<Probe> {
      let info;
      try {
        info = await args.container.inspect();
      } catch (error) {
        return notReady(`inspect ${args.name}: ${reasonOf(error)}`);
      }
      const state = info.State ?? {};
      if (!state.Running) {
        const restart = info.HostConfig?.RestartPolicy?.Name ?? 'no';
        const reason = `container ${args.name} is ${state.Status ?? 'not running'} (exit code ${state.ExitCode ?? '?'})`;
        if ((state.Status === 'exited' || state.Status === 'dead') && (restart === 'no' || restart === '')) {
          return { ok: false, reason, fatal: new DifyctlError('DOCKER.CONTAINER_FAILED', reason, { hint: `See its logs: \`docker logs ${args.name}\`.` }) };
        }
        return notReady(reason);
      }
      const health = state.Health?.Status;
      if (health === undefined || health === 'none' || health === 'healthy') return { ok: true };
      const last = state.Health?.Log?.at(-1);
      const output = last?.Output?.trim().split('\n').at(-1);
      return notReady(`healthcheck ${health}${output ? `: ${output}` : ''}`);
    },
  };
}
