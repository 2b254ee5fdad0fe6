import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { ComposeService, Healthcheck } from '../../../config/compose-model.js';
import type { DependencyName } from '../../types.js';
import { containerName, LABEL, networkName, volumeName } from './labels.js';
import { toArgv } from './shell-split.js';

const NS_PER_MS = 1_000_000;
/**
 * Docker checks health every 30 s unless told otherwise, so a service whose compose healthcheck
 * sets no interval (Dify's redis) would keep `up` waiting half a minute: difyctl checks every second, as Dify does for its db.
 */
export const DEFAULT_HEALTH_INTERVAL_MS = 1000;

export interface ContainerSpecInput {
  project: string;
  service: ComposeService;
  dependency: DependencyName;
  /** The container port the server talks to (5432, 6379). */
  targetPort: number;
  /** The port published on 127.0.0.1. */
  hostPort: number;
  /** True when hostPort comes from the configuration (then a change of it recreates the container). */
  hostPortConfigured: boolean;
  /** Labelled on the container (outside the config hash), so `down` elsewhere leaves it alone. */
  projectDir?: string;
}

export interface ContainerSpec {
  name: string;
  create: Docker.ContainerCreateOptions;
  /** Changes whenever the container must be recreated to match the compose file. */
  hash: string;
  /** Host directories of bind mounts (created before the container). */
  bindSources: string[];
  /** Named volumes (project-prefixed) to create with labels. */
  volumes: string[];
}

export function dockerHealthcheck(h: Healthcheck | undefined): Docker.HealthConfig | undefined {
  if (!h) return undefined;
  if (h.disable || h.test[0] === 'NONE') return { Test: ['NONE'] };
  return {
    Test: h.test,
    Interval: (h.intervalMs ?? DEFAULT_HEALTH_INTERVAL_MS) * NS_PER_MS,
    ...(h.timeoutMs !== undefined && { Timeout: h.timeoutMs * NS_PER_MS }),
    ...(h.retries !== undefined && { Retries: h.retries }),
    ...(h.startPeriodMs !== undefined && { StartPeriod: h.startPeriodMs * NS_PER_MS }),
  };
}

export function restartPolicy(restart: string | undefined): Docker.HostRestartPolicy {
  if (!restart || restart === 'no') return { Name: 'no' };
  const [name = 'no', count] = restart.split(':');
  return name === 'on-failure' ? { Name: name, MaximumRetryCount: Number(count ?? 0) } : { Name: name };
}

/** The compose service as Docker Engine create options, like `docker compose up` would make it. */
export function containerSpec(input: ContainerSpecInput): ContainerSpec {
  const { project, service, dependency, targetPort, hostPort } = input;
  const name = containerName(project, service.name);
  const network = networkName(project);
  const env = [...service.environment].filter(([, v]) => v.value !== undefined).map(([k, v]) => `${k}=${v.value}`);
  const binds = service.volumes.map(
    (v) => `${v.type === 'volume' ? volumeName(project, v.source) : v.source}:${v.target}${v.readOnly ? ':ro' : ''}`,
  );
  const port = `${targetPort}/tcp`;
  const labels = {
    ...service.labels,
    [LABEL.project]: project,
    [LABEL.service]: service.name,
    [LABEL.dependency]: dependency,
    [LABEL.composeProject]: project,
    [LABEL.composeService]: service.name,
  };
  const create: Docker.ContainerCreateOptions = {
    name,
    Image: service.image,
    Cmd: toArgv(service.command),
    Entrypoint: toArgv(service.entrypoint),
    Env: env,
    Labels: labels,
    ExposedPorts: { [port]: {} },
    Healthcheck: dockerHealthcheck(service.healthcheck),
    HostConfig: {
      Binds: binds,
      PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] },
      RestartPolicy: restartPolicy(service.restart),
      NetworkMode: network,
    },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [service.name] } } },
  };
  const hashed = {
    ...create,
    HostConfig: {
      ...create.HostConfig,
      PortBindings: input.hostPortConfigured ? create.HostConfig?.PortBindings : undefined,
    },
  };
  const hash = createHash('sha256').update(JSON.stringify(hashed)).digest('hex');
  create.Labels = {
    ...labels,
    [LABEL.configHash]: hash,
    ...(input.projectDir ? { [LABEL.projectDir]: input.projectDir } : {}),
  };
  return {
    name,
    create,
    hash,
    bindSources: service.volumes.filter((v) => v.type === 'bind').map((v) => v.source),
    volumes: service.volumes.filter((v) => v.type === 'volume').map((v) => volumeName(project, v.source)),
  };
}
