import type Docker from 'dockerode';
import { LABEL, networkName, volumeName } from './labels.js';

function isConflict(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 409; // dockerode errors carry the HTTP status
}

/** Creations in flight in this process: the engine's duplicate check races (20.10 made two of one name). */
const creating = new WeakMap<Docker, Map<string, Promise<string>>>();

/** The project network (`<project>_default`, like compose), created with our labels when absent. */
export function ensureNetwork(docker: Docker, project: string): Promise<string> {
  const pending = creating.get(docker) ?? new Map<string, Promise<string>>();
  creating.set(docker, pending);
  let promise = pending.get(project);
  if (!promise) {
    promise = createNetwork(docker, project).finally(() => pending.delete(project));
    pending.set(project, promise);
  }
  return promise;
}

async function createNetwork(docker: Docker, project: string): Promise<string> {
  const name = networkName(project);
  const existing = await docker.listNetworks({ filters: { name: [name] } });
  if (existing.some((n) => n.Name === name)) return name;
  try {
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: { [LABEL.project]: project, [LABEL.composeProject]: project, 'com.docker.compose.network': 'default' },
    });
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
  return name;
}

export async function ensureVolume(docker: Docker, project: string, name: string): Promise<void> {
  try {
    await docker.createVolume({
      Name: name,
      Labels: {
        [LABEL.project]: project,
        [LABEL.composeProject]: project,
        'com.docker.compose.volume': name.slice(volumeName(project, '').length),
      },
    });
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}
