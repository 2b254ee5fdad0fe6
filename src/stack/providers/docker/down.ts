import type Docker from 'dockerode';
import type { ContainerSummary } from './runtime.js';
import { LABEL, ownedBy, projectFilter } from './labels.js';

export interface DockerDownResult {
  containers: Array<{ name: string; service: string; dependency?: string }>;
  networks: string[];
  volumes: string[];
  /** Host directories the removed containers had bind-mounted (their data, for `down --volumes`). */
  bindSources: string[];
}

/**
 * The host directories a container writes its data to: read-write bind mounts. A read-only one
 * (`./init.sql:/docker-entrypoint-initdb.d/init.sql:ro`) is the user's configuration, never data.
 */
export function dataBindSources(info: Pick<ContainerSummary, 'Mounts'>): string[] {
  return (info.Mounts ?? []).filter((m) => m.Type === 'bind' && m.Source && m.RW !== false).map((m) => m.Source);
}

/**
 * Stops and removes what carries this project's difyctl label: containers, then the network,
 * and named volumes with `volumes`. Nothing of another project or unlabelled is touched.
 */
export async function dockerDown(args: {
  docker: Docker;
  project: string;
  projectDir?: string;
  volumes: boolean;
  stopTimeoutS?: number;
}): Promise<DockerDownResult> {
  const { docker, project } = args;
  const result: DockerDownResult = { containers: [], networks: [], volumes: [], bindSources: [] };
  // Another checkout with the same project name keeps its containers.
  const containers = (await docker.listContainers({ all: true, filters: projectFilter(project) })).filter(
    (c) => !args.projectDir || ownedBy(c.Labels, args.projectDir),
  );
  await Promise.all(
    containers.map(async (info) => {
      const container = docker.getContainer(info.Id);
      for (const source of dataBindSources(info)) result.bindSources.push(source);
      if (info.State === 'running') await container.stop({ t: args.stopTimeoutS ?? 10 }).catch(() => undefined);
      await container.remove({ force: true, v: args.volumes });
      result.containers.push({
        name: (info.Names[0] ?? info.Id).replace(/^\//, ''),
        service: info.Labels[LABEL.service] ?? '',
        dependency: info.Labels[LABEL.dependency],
      });
    }),
  );
  for (const network of await docker.listNetworks({ filters: projectFilter(project) })) {
    // Another tool's container may still be attached: leave the network then.
    await docker
      .getNetwork(network.Id)
      .remove()
      .then(() => result.networks.push(network.Name))
      .catch(() => undefined);
  }
  if (args.volumes) {
    const { Volumes } = await docker.listVolumes({ filters: projectFilter(project) });
    for (const volume of Volumes ?? []) {
      await docker
        .getVolume(volume.Name)
        .remove()
        .then(() => result.volumes.push(volume.Name))
        .catch(() => undefined);
    }
  }
  return result;
}
