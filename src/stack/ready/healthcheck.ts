import { notReady, reasonOf, type Probe, type ReadinessStrategy } from './strategy.js';
import { containerFailed } from '../errors.js';

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

interface ContainerProbeArgs {
  container: InspectableContainer;
  name: string;
  /** The container's last log lines, attached to a fatal probe. */
  logTail?: () => Promise<string[]>;
}

async function failed(args: ContainerProbeArgs, reason: string): Promise<Probe> {
  const tail = (await args.logTail?.().catch(() => [] as string[])) ?? [];
  return {
    ok: false,
    reason,
    fatal: containerFailed(reason, {
      why: tail.length
        ? `last ${tail.length} log lines of ${args.name}:\n${tail.map((l) => `    ${l}`).join('\n')}`
        : undefined,
      hint: `See its logs: \`docker logs ${args.name}\`; \`difyctl doctor\` checks the settings it uses.`,
      details: { container: args.name, logTail: tail },
    }),
  };
}

/**
 * One look at the container. Exited without a restart policy is fatal; `unhealthy` is fatal when
 * `unhealthyIsFatal` (compose's `service_healthy` fails the same way); else ready per `gate`.
 */
async function probe(
  args: ContainerProbeArgs & { gate: 'healthy' | 'running'; unhealthyIsFatal: boolean },
): Promise<Probe> {
  let info: Awaited<ReturnType<InspectableContainer['inspect']>>;
  try {
    info = await args.container.inspect();
  } catch (error) {
    return notReady(`inspect ${args.name}: ${reasonOf(error)}`);
  }
  const state = info.State ?? {};
  if (!state.Running) {
    const restart = info.HostConfig?.RestartPolicy?.Name ?? 'no';
    const reason = `container ${args.name} is ${state.Status ?? 'not running'} (exit code ${state.ExitCode ?? '?'})`;
    if ((state.Status === 'exited' || state.Status === 'dead') && (restart === 'no' || restart === ''))
      return failed(args, reason);
    return notReady(reason);
  }
  const health = state.Health?.Status;
  if (health === undefined || health === 'none' || health === 'healthy') return { ok: true };
  const output = state.Health?.Log?.at(-1)?.Output?.trim().split('\n').at(-1);
  const reason = `healthcheck ${health}${output ? `: ${output}` : ''}`;
  if (health === 'unhealthy' && args.unhealthyIsFatal)
    return failed(args, `container ${args.name} reports unhealthy${output ? `: ${output}` : ''}`);
  return args.gate === 'running' ? { ok: true } : notReady(reason);
}

/**
 * Ready when the container's compose healthcheck reports healthy (a container without a
 * healthcheck is ready once running). A container that exited and will not be restarted is fatal.
 */
export function healthcheckStrategy(args: ContainerProbeArgs): ReadinessStrategy {
  return {
    name: `healthcheck of container ${args.name}`,
    check: () => probe({ ...args, gate: 'healthy', unhealthyIsFatal: false }),
  };
}

/**
 * The guard beside a protocol check (SPEC §3: the login is the gate, not Docker's healthcheck
 * interval): passes while the container runs, even with its healthcheck still `starting`; a
 * container that exited, or whose healthcheck reports `unhealthy`, fails (within `everyMs`, 250 ms
 * by default) with its log tail.
 */
export function containerRunningStrategy(
  args: ContainerProbeArgs & { everyMs?: number; now?: () => number },
): ReadinessStrategy {
  // The login beside it is tried every 50 ms; the engine is asked at most every `everyMs` (an inspect
  // costs the engine more than a refused login, while it is busy creating containers).
  const everyMs = args.everyMs ?? 250;
  const now = args.now ?? (() => performance.now());
  let last: { at: number; probe: Probe } | undefined;
  return {
    name: `container ${args.name} running`,
    async check() {
      if (last && now() - last.at < everyMs) return last.probe;
      const result = await probe({ ...args, gate: 'running', unhealthyIsFatal: true });
      last = { at: now(), probe: result };
      return result;
    },
  };
}
