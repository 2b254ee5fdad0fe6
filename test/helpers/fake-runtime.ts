import type { EngineEndpoint } from '../../src/stack/providers/docker/engine.js';
import type { ProjectEngine, ProjectEngineConnector } from '../../src/stack/providers/docker/project-engine.js';
import type { ContainerInfo, ContainerRuntime, ContainerSummary } from '../../src/stack/providers/docker/runtime.js';

/** A container the fake engine holds. */
export interface FakeContainer {
  id: string;
  name: string;
  labels?: Record<string, string>;
  running?: boolean;
  health?: string;
  /** container port → host port */
  ports?: Record<number, number>;
  logs?: string[];
  memoryBytes?: number;
}

/**
 * An in-memory container engine behind the ContainerRuntime seam: for fast unit tests of what
 * decides from the engine (provider choice, ps rows, doctor's docker checks). It creates nothing;
 * the real-engine tests cover dockerode itself.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly containers = new Map<string, FakeContainer>();
  readonly calls: string[] = [];
  readonly endpoint: EngineEndpoint;

  constructor(options: { host?: string; id?: string; version?: string; containers?: FakeContainer[] } = {}) {
    this.endpoint = { host: options.host ?? 'unix:///fake/docker.sock', source: 'DOCKER_HOST' };
    this.engineId = options.id ?? 'FAKE-ENGINE-ID';
    this.engineVersion = options.version ?? '24.0.0-fake';
    for (const c of options.containers ?? []) this.containers.set(c.id, c);
  }

  private readonly engineId: string;
  private readonly engineVersion: string;

  private find(idOrName: string): FakeContainer | undefined {
    return this.containers.get(idOrName) ?? [...this.containers.values()].find((c) => c.name === idOrName);
  }

  async id() {
    return this.engineId;
  }

  async version() {
    return { Version: this.engineVersion, ApiVersion: '1.43' };
  }

  async listContainers(args: { labels: string[]; all?: boolean }): Promise<ContainerSummary[]> {
    this.calls.push(`list ${args.labels.join(',')}`);
    return [...this.containers.values()]
      .filter(
        (c) =>
          (args.all || c.running) &&
          args.labels.every((l) => {
            const [k, v] = l.split('=');
            return c.labels?.[k ?? ''] === v;
          }),
      )
      .map((c) => ({
        Id: c.id,
        Names: [`/${c.name}`],
        Labels: c.labels ?? {},
        State: c.running ? 'running' : 'exited',
        Ports: Object.entries(c.ports ?? {}).map(([p, h]) => ({ PrivatePort: Number(p), PublicPort: h })),
      }));
  }

  async inspectContainer(idOrName: string): Promise<ContainerInfo | undefined> {
    this.calls.push(`inspect ${idOrName}`);
    const c = this.find(idOrName);
    if (!c) return undefined;
    const ports = Object.fromEntries(
      Object.entries(c.ports ?? {}).map(([p, h]) => [`${p}/tcp`, [{ HostIp: '127.0.0.1', HostPort: String(h) }]]),
    );
    return {
      Id: c.id,
      Name: `/${c.name}`,
      State: {
        Status: c.running ? 'running' : 'exited',
        Running: c.running ?? false,
        ExitCode: c.running ? 0 : 1,
        StartedAt: new Date().toISOString(),
        Health: c.health ? { Status: c.health } : undefined,
      },
      NetworkSettings: { Ports: ports },
    };
  }

  async startContainer(idOrName: string) {
    this.calls.push(`start ${idOrName}`);
    const c = this.find(idOrName);
    if (!c) throw Object.assign(new Error(`no such container: ${idOrName}`), { statusCode: 404 });
    c.running = true;
  }

  async removeContainer(idOrName: string) {
    this.calls.push(`remove ${idOrName}`);
    const c = this.find(idOrName);
    if (!c) throw Object.assign(new Error(`no such container: ${idOrName}`), { statusCode: 404 });
    this.containers.delete(c.id);
  }

  async logTail(idOrName: string, lines: number) {
    return (this.find(idOrName)?.logs ?? []).slice(-lines);
  }

  async memoryUsage(idOrName: string) {
    return this.find(idOrName)?.memoryBytes;
  }
}

/** A connector that hands out `runtime` (or, with none, an engine that does not answer). */
export function fakeConnector(runtime: FakeRuntime | undefined): ProjectEngineConnector {
  return async ({ state }): Promise<ProjectEngine> => ({
    endpoint: runtime?.endpoint ?? { host: 'unix:///fake/none.sock', source: 'DOCKER_HOST' },
    engine: runtime,
    recorded: state.engine,
  });
}
