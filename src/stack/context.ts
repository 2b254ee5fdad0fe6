import type { Project } from '../config/project.js';
import type { Settings } from '../config/schema.js';
import type { Clock } from '../supervision/clock.js';
import type { ContainerRuntime } from './providers/docker/runtime.js';
import type { ProjectEngine } from './providers/docker/project-engine.js';
import type { ReadinessStrategy } from './ready/strategy.js';
import type { DependencyRecord } from './state.js';
import type { DbConnection, ProviderName, RedisConnection, Reporter } from './types.js';

/** What every provider needs to know about the project. */
export interface StackContext {
  project: Project;
  settings: Settings;
  report: Reporter;
  clock: Clock;
  /** The shell environment (DOCKER_HOST, PATH…). */
  env: NodeJS.ProcessEnv;
  /** The Docker engine, connected on first use; undefined when none answers. */
  engine(): Promise<ContainerRuntime | undefined>;
  /** The same, with where it was looked for and what `up` recorded (for refusals and `ps`). */
  projectEngine(): Promise<ProjectEngine>;
}

/** A dependency a provider has started or attached to, not yet known to serve. */
export interface Started {
  provider: ProviderName;
  connection?: DbConnection | RedisConnection;
  reused: boolean;
  /** This run created it (a container, a process): a failed `up` removes it again. */
  created: boolean;
  record: DependencyRecord;
  strategy?: ReadinessStrategy;
  logTail: () => Promise<string[]>;
  /** Work once the server answers (the embedded server creates the configured database). */
  afterReady?: (remainingMs: number) => Promise<void>;
}

export const address = (c: { host: string; port: number }) =>
  `${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`;
