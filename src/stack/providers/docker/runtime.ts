import type Docker from 'dockerode';
import { BugError } from '../../../errors/index.js';
import { containerLogTail } from './logs.js';

/** Where an engine is reached. */
export interface EngineEndpoint {
  /** unix:///var/run/docker.sock, tcp://host:2376… */
  host: string;
  /** Where it came from, for messages: DOCKER_HOST, context "name", default socket. */
  source: string;
}

/** What difyctl reads of a container (a subset of `docker inspect`). */
export interface ContainerInfo {
  Id: string;
  /** `/name`, as the engine reports it. */
  Name: string;
  State: { Status: string; Running: boolean; ExitCode: number; StartedAt: string; Health?: { Status: string } };
  NetworkSettings?: { Ports?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> };
  HostConfig?: { PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> };
}

/** One row of `docker ps -a` (a subset). */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  Ports?: Array<{ PrivatePort: number; PublicPort?: number }>;
  State?: string;
  Mounts?: Array<{ Type: string; Source: string; RW?: boolean }>;
}

/**
 * The seam around the container engine (what testcontainers-node calls its container runtime
 * client): everything choose, status, db reset and doctor ask of it. Implemented with dockerode
 * (`dockerodeRuntime`); an in-memory fake in test/helpers lets unit tests run without an engine.
 */
export interface ContainerRuntime {
  /** Where it was reached, and how that was decided (for messages). */
  readonly endpoint: EngineEndpoint;
  /** The engine's ID (`docker info`), asked once. */
  id(): Promise<string | undefined>;
  version(): Promise<{ Version?: string; ApiVersion?: string } | undefined>;
  /** Containers (running or not) carrying every one of these `key=value` labels. */
  listContainers(args: { labels: string[]; all?: boolean }): Promise<ContainerSummary[]>;
  /** Undefined when there is no such container. */
  inspectContainer(idOrName: string): Promise<ContainerInfo | undefined>;
  startContainer(idOrName: string): Promise<void>;
  /** Removes it with its anonymous volumes, running or not. */
  removeContainer(idOrName: string): Promise<void>;
  /** Its last log lines; empty when unreadable. */
  logTail(idOrName: string, lines: number): Promise<string[]>;
  /** Its memory use in bytes (one sample); undefined when unknown. */
  memoryUsage(idOrName: string): Promise<number | undefined>;
  /**
   * The dockerode client, for what only the docker provider does (pull, create, networks, volumes,
   * following logs). Undefined in a fake: those paths need a real engine.
   */
  readonly docker?: Docker;
}

/** Reaches the engine (bounded); undefined when none answers. The default is dockerode's (`tryEngine`). */
export type RuntimeConnector = (args: {
  env: NodeJS.ProcessEnv;
  recorded?: { host: string; source: string; id?: string };
  timeoutMs?: number;
}) => Promise<ContainerRuntime | undefined>;

/** The runtime over a dockerode client that answered a ping. */
export function dockerodeRuntime(docker: Docker, endpoint: EngineEndpoint): ContainerRuntime & { docker: Docker } {
  let id: Promise<string | undefined> | undefined;
  const missing = (error: unknown) => (error as { statusCode?: number }).statusCode === 404;
  return {
    docker,
    endpoint,
    id: () =>
      (id ??= docker.info().then(
        (info: { ID?: string }) => info.ID || undefined,
        () => undefined,
      )),
    version: () => docker.version().catch(() => undefined),
    listContainers: ({ labels, all }) => docker.listContainers({ all: all ?? false, filters: { label: labels } }),
    inspectContainer: (name) =>
      docker
        .getContainer(name)
        .inspect()
        .catch((error: unknown) => {
          if (missing(error)) return undefined;
          throw error;
        }),
    startContainer: async (name) => {
      await docker.getContainer(name).start();
    },
    removeContainer: async (name) => {
      await docker.getContainer(name).remove({ force: true, v: true });
    },
    logTail: (name, lines) => containerLogTail(docker.getContainer(name), lines),
    // One-shot: without it the engine samples twice, a second apart (longer under load).
    memoryUsage: async (name) =>
      (
        await docker
          .getContainer(name)
          .stats({ stream: false, 'one-shot': true })
          .catch(() => undefined)
      )?.memory_stats?.usage || undefined,
  };
}

/** The dockerode client of a runtime, for the docker provider's own work; a fake has none. */
export function dockerClient(runtime: ContainerRuntime): Docker {
  if (!runtime.docker) throw new BugError('this step needs a Docker engine, not a stand-in runtime');
  return runtime.docker;
}
