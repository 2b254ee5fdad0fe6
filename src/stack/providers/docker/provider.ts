import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { ComposeService } from '../../../config/compose-model.js';
import type { Lookup } from '../../../config/interpolate.js';
import type { DifyctlError } from '../../../errors/index.js';
import { freePort, portIsFree } from '../../ports.js';
import type { DependencySpec, Reporter } from '../../types.js';
import { containerSpec, type ContainerSpec } from './container-spec.js';
import { ensureImage } from './image.js';
import { containerName, LABEL, ownedBy } from './labels.js';
import { ensureNetwork, ensureVolume } from './network.js';
import { publishedPort, wantedPort } from './ports.js';
import { containerFailed, containerNameConflict, stackPortInUse } from '../../errors.js';
import { composeError } from '../../../config/errors.js';

export interface DockerStartArgs {
  docker: Docker;
  project: string;
  /** The project directory, labelled on the container. */
  projectDir?: string;
  spec: DependencySpec;
  service: ComposeService;
  lookup: Lookup;
  report: Reporter;
}

export interface DockerStarted {
  container: Docker.Container;
  containerId: string;
  containerName: string;
  image: string;
  hostPort: number;
  reused: boolean;
  /** Created by this call (not found, or recreated because its configuration changed). */
  created: boolean;
}

async function inspectOrUndefined(container: Docker.Container): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await container.inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined; // dockerode errors carry the HTTP status
    throw error;
  }
}

function portInUse({ port, variable, cause }: { port: number; variable: string; cause?: unknown }): DifyctlError {
  return stackPortInUse(`port ${port} on 127.0.0.1 is already taken (${variable})`, {
    hint: `Stop what holds it, or set ${variable} to another port (empty = a free one). \`difyctl doctor --only ports\` names the holder.`,
    cause,
  });
}

async function create({
  args,
  spec,
  port,
}: {
  args: DockerStartArgs;
  spec: ContainerSpec;
  port: { value: number; configuredBy?: string };
}): Promise<Docker.Container> {
  const { docker, project, report } = args;
  if (!args.service.image)
    throw composeError(`service "${args.service.name}" has no image`, {
      hint: 'Give the service an `image:`.',
    });
  await ensureImage({ docker, image: args.service.image, report });
  await ensureNetwork(docker, project);
  for (const volume of spec.volumes) await ensureVolume(docker, project, volume);
  // A missing source becomes a directory, as Docker does; an existing one (a file: `./init.sql:…:ro`) stays.
  for (const source of spec.bindSources) if (!existsSync(source)) await mkdir(source, { recursive: true });
  if (port.configuredBy && !(await portIsFree(port.value)))
    throw portInUse({ port: port.value, variable: port.configuredBy });
  const container = await docker.createContainer(spec.create);
  try {
    await container.start();
  } catch (error) {
    await container.remove({ force: true }).catch(() => undefined);
    if (/port is already allocated|address already in use/i.test((error as Error).message))
      throw portInUse({ port: port.value, variable: port.configuredBy ?? 'the published port', cause: error });
    throw containerFailed(`cannot start container ${spec.name}: ${(error as Error).message}`, { cause: error });
  }
  return container;
}

/**
 * Creates the dependency's container like compose would, or reuses the one a previous run made
 * (same labels and config hash). Returns once it runs; readiness is waited for by the caller.
 */
export async function startDockerDependency(args: DockerStartArgs): Promise<DockerStarted> {
  const { docker, project, spec: dep, service } = args;
  const name = containerName(project, service.name);
  const handle = docker.getContainer(name);
  let existing = await inspectOrUndefined(handle);
  const labels = existing?.Config.Labels ?? {};
  const foreign = labels[LABEL.project] !== project && labels[LABEL.composeProject] !== project;
  if (existing && (foreign || (args.projectDir && !ownedBy(labels, args.projectDir)))) {
    throw containerNameConflict(
      `a container named ${name} exists and does not belong to project "${project}"${foreign ? '' : ` in ${args.projectDir}`}`,
      {
        hint: `Remove or rename it (\`docker rm -f ${name}\`), or choose another project name with -p / COMPOSE_PROJECT_NAME.`,
      },
    );
  }
  const wanted = wantedPort({ service, spec: dep, lookup: args.lookup });
  const hostPort =
    wanted.published ?? (existing ? publishedPort(existing, wanted.target) : undefined) ?? (await freePort());
  const spec = containerSpec({
    project,
    service,
    dependency: dep.name,
    targetPort: wanted.target,
    hostPort,
    hostPortConfigured: wanted.published !== undefined,
    projectDir: args.projectDir,
  });
  if (existing && labels[LABEL.configHash] !== spec.hash) {
    args.report({ type: 'starting', dependency: dep.name, detail: `recreating ${name}: its configuration changed` });
    await handle.remove({ force: true });
    existing = undefined;
  }
  let reused = false;
  const created = !existing;
  if (!existing) {
    args.report({ type: 'starting', dependency: dep.name, detail: `creating container ${name} (${service.image})` });
    await create({ args, spec, port: { value: hostPort, configuredBy: wanted.configuredBy } });
  } else if (!existing.State.Running) {
    args.report({ type: 'starting', dependency: dep.name, detail: `starting container ${name}` });
    await handle.start();
  } else {
    reused = true;
  }
  const info = await handle.inspect();
  return {
    container: handle,
    containerId: info.Id,
    containerName: name,
    image: service.image ?? '',
    hostPort: publishedPort(info, wanted.target) ?? hostPort,
    reused,
    created,
  };
}
