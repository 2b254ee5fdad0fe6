import type { ContainerInfo } from './runtime.js';
import type { ComposeService } from '../../../config/compose-model.js';
import type { Lookup } from '../../../config/interpolate.js';
import type { DependencySpec } from '../../types.js';

const EXPOSE_VAR = { db: 'EXPOSE_DB_PORT', redis: 'EXPOSE_REDIS_PORT' } as const;

export interface WantedPort {
  /** The container port. */
  target: number;
  /** The host port the configuration asks for; undefined = any free port. */
  published?: number;
  /** What asked for it, for messages. */
  configuredBy?: string;
}

/**
 * The container port is the one DB_PORT/REDIS_PORT names (or the compose mapping's target); the
 * host port is the compose `ports` published port, else EXPOSE_DB_PORT / EXPOSE_REDIS_PORT, else free.
 */
export function wantedPort(args: { service: ComposeService; spec: DependencySpec; lookup: Lookup }): WantedPort {
  const { service, spec } = args;
  const tcp = service.ports.filter((p) => p.protocol === 'tcp');
  const mapping = tcp.find((p) => p.target === spec.port) ?? tcp[0];
  const target = mapping?.target ?? spec.port;
  const variable = EXPOSE_VAR[spec.name];
  if (mapping?.published !== undefined)
    return { target, published: mapping.published, configuredBy: `${variable} / the ports of service ${service.name}` };
  const exposed = args.lookup(variable)?.trim();
  if (exposed && /^\d+$/.test(exposed)) return { target, published: Number(exposed), configuredBy: variable };
  return { target };
}

/** The host port Docker published for the container port, from `docker inspect`. */
export function publishedPort(
  info: Pick<ContainerInfo, 'NetworkSettings' | 'HostConfig'>,
  target: number,
): number | undefined {
  const bindings = info.NetworkSettings?.Ports?.[`${target}/tcp`] ?? info.HostConfig?.PortBindings?.[`${target}/tcp`];
  const port = (bindings as Array<{ HostPort?: string }> | null | undefined)?.find((b) => b.HostPort)?.HostPort;
  return port ? Number(port) : undefined;
}
