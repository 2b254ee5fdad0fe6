import type { DifyctlError } from '../../../errors/index.js';
import type { StackState } from '../../state.js';
import type { DependencyName } from '../../types.js';
import { projectEndpoint, tryEngine, type EngineEndpoint, type RecordedEngine } from './engine.js';
import type { ContainerRuntime } from './runtime.js';
import { dockerUnreachable, dockerEngineMismatch } from '../../errors.js';

/** The Docker engine of a project as `down`, `ps`, `logs`, `doctor` and `db reset` see it. */
export interface ProjectEngine {
  /** Where difyctl looked: the shell's engine, else the one `up` recorded, else the docker CLI's. */
  endpoint: EngineEndpoint;
  /** Undefined when nothing answers there. */
  engine?: ContainerRuntime;
  /** What `up` recorded in the state file. */
  recorded?: RecordedEngine;
}

/** How a project's engine is reached: `projectEngine` (dockerode), or a fake in unit tests. */
export type ProjectEngineConnector = (args: {
  env: NodeJS.ProcessEnv;
  state: Pick<StackState, 'engine'>;
  timeoutMs?: number;
}) => Promise<ProjectEngine>;

/** Connects to the project's engine (bounded); never throws. */
export async function projectEngine(args: {
  env: NodeJS.ProcessEnv;
  state: Pick<StackState, 'engine'>;
  timeoutMs?: number;
}): Promise<ProjectEngine> {
  const recorded = args.state.engine;
  const engine = await tryEngine(args.env, { recorded, timeoutMs: args.timeoutMs });
  return { endpoint: engine?.endpoint ?? projectEndpoint({ env: args.env, recorded }), engine, recorded };
}

/**
 * The engine reached is the one `up` started the containers on: nothing recorded, the same
 * endpoint, or (another path to it) the same engine ID. Only then does "no such container"
 * mean the container is gone.
 */
export async function isRecordedEngine(
  engine: ContainerRuntime,
  recorded: RecordedEngine | undefined,
): Promise<boolean> {
  if (!recorded || engine.endpoint.host === recorded.host) return true;
  return recorded.id !== undefined && (await engine.id()) === recorded.id;
}

/**
 * What to keep in the state file: the engine a docker dependency was just started on. Its ID is
 * added once the dependencies serve (`docker info` is slow for a busy engine: not while it creates
 * containers).
 */
export function engineToRecord(engine: ContainerRuntime, previous: RecordedEngine | undefined): RecordedEngine {
  // Reached through the record (the shell named no engine): keep where it first came from.
  if (previous && previous.host === engine.endpoint.host) return previous;
  return { host: engine.endpoint.host, source: engine.endpoint.source };
}

/** The dependencies the state file says run in containers. */
export function dockerRecords(state: StackState): DependencyName[] {
  return (Object.keys(state.services) as DependencyName[]).filter(
    (name) => state.services[name]?.provider === 'docker',
  );
}

/** DOCKER.UNREACHABLE for containers difyctl cannot see: nothing is assumed about them. */
export function engineUnreachable(args: {
  endpoint: EngineEndpoint;
  recorded?: RecordedEngine;
  containers: string[];
  doing: string;
}): DifyctlError {
  const { endpoint, recorded, containers, doing } = args;
  const where =
    recorded && recorded.host !== endpoint.host
      ? `on the engine \`up\` used, ${recorded.host} (${recorded.source})`
      : 'there';
  return dockerUnreachable(
    `the Docker engine at ${endpoint.host} (${endpoint.source}) does not answer: ${containers.join(', ')} may still run ${where}, so ${doing}`,
    {
      hint: `Start the engine at ${recorded?.host ?? endpoint.host}, or set DOCKER_HOST to where it answers now, then run the command again. If that engine is gone for good (its containers with it), remove .difyctl/state.json.`,
    },
  );
}

/** DOCKER.ENGINE_MISMATCH: the shell names another engine than the one running this project's containers. */
export function engineMismatch(args: {
  endpoint: EngineEndpoint;
  recorded: RecordedEngine;
  containers: string[];
  doing: string;
}): DifyctlError {
  const { endpoint, recorded, containers, doing } = args;
  return dockerEngineMismatch(
    `${containers.join(', ')} were started on the Docker engine at ${recorded.host} (${recorded.source}), not on the one at ${endpoint.host} (${endpoint.source}): ${doing}`,
    {
      hint: `Unset DOCKER_HOST / DOCKER_CONTEXT (difyctl then uses ${recorded.host}) or point them at that engine, and run \`difyctl down\` there first to move the project.`,
    },
  );
}
