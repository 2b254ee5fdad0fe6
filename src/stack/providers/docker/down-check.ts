import type { DifyctlError } from '../../../errors/index.js';
import type { StackState } from '../../state.js';
import type { DependencyName } from '../../types.js';
import {
  dockerRecords,
  engineMismatch,
  engineUnreachable,
  isRecordedEngine,
  type ProjectEngine,
} from './project-engine.js';
import type { ContainerRuntime } from './runtime.js';

/** Absent only on a clear "no such container"; any other failure throws. */
const containerExists = async (engine: ContainerRuntime, id: string): Promise<boolean> =>
  (await engine.inspectContainer(id)) !== undefined;

/**
 * The docker dependencies whose container is not confirmed gone: the engine does not answer, or
 * it is another engine than the one `up` used and the container is not there (`removed`: the
 * dependencies whose container this `down` removed). Their data and their record stay (issue 13,
 * bug 1: never assume a container you cannot see stopped).
 */
export async function unconfirmedContainers(args: {
  state: StackState;
  docker: ProjectEngine;
  removed?: string[];
}): Promise<DependencyName[]> {
  const { state, docker } = args;
  const names = dockerRecords(state).filter((name) => !args.removed?.includes(name));
  if (!names.length) return [];
  const { engine, recorded } = docker;
  if (!engine) return names;
  const same = await isRecordedEngine(engine, recorded);
  const unconfirmed: DependencyName[] = [];
  for (const name of names) {
    const id = state.services[name]?.containerId ?? state.services[name]?.containerName;
    // Still there: `down` removes it (before) or failed to (after). Absent: gone only on the engine `up` used.
    const exists = id ? await containerExists(engine, id) : false;
    if (exists || !same) unconfirmed.push(name);
  }
  return unconfirmed;
}

/**
 * Before `down --volumes` touches anything: every docker dependency's container must be on the
 * engine reached (to be stopped there) or confirmed gone; else the refusal naming the engine.
 */
export async function volumesRefusal(args: {
  state: StackState;
  docker: ProjectEngine;
}): Promise<DifyctlError | undefined> {
  const { state, docker } = args;
  const names = dockerRecords(state);
  if (!names.length) return undefined;
  const containers = names.map((n) => state.services[n]?.containerName ?? n);
  const doing = 'nothing was stopped or deleted (`down --volumes` deletes data only of containers it has stopped)';
  if (!docker.engine)
    return engineUnreachable({ endpoint: docker.endpoint, recorded: docker.recorded, containers, doing });
  if (await isRecordedEngine(docker.engine, docker.recorded)) return undefined;
  for (const name of names) {
    const id = state.services[name]?.containerId ?? state.services[name]?.containerName;
    if (!id || !(await containerExists(docker.engine, id))) {
      return engineMismatch({
        endpoint: docker.endpoint,
        recorded: docker.recorded ?? docker.endpoint,
        containers,
        doing,
      });
    }
  }
  return undefined;
}
