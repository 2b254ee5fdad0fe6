import type { DbServer } from '../db/types.js';
/** The dependencies difyctl starts or attaches; api/worker processes are added by the full `up`. */
export type DependencyName = 'db' | 'redis';
export const DEPENDENCIES: readonly DependencyName[] = ['db', 'redis'];

/** How a dependency is served. `none` = no Redis: the server falls back to PostgreSQL. */
export type ProviderName = 'docker' | 'embedded' | 'external' | 'none';
export type ProviderChoice = 'auto' | 'docker' | 'embedded' | 'external';

/** Where the stack's PostgreSQL answers (the one shape of db/types.ts). */
export type DbConnection = DbServer;

export interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
}

/** What the configuration asks for, before a provider is chosen. */
export interface DependencySpec {
  name: DependencyName;
  /** The compose service that is this dependency (`db`, `db_postgres`, `redis`), when there is one. */
  service?: string;
  /** DB_HOST / REDIS_HOST as configured (often a compose service name). */
  host: string;
  /** DB_PORT / REDIS_PORT as configured (the container's port for a compose service). */
  port: number;
  /** The variables that set host and port, for messages. */
  hostVar: string;
  portVar: string;
}

/** A dependency that serves: what the server will be given. */
export interface ResolvedDependency {
  name: DependencyName;
  provider: ProviderName;
  spec: DependencySpec;
  /** Absent for provider `none`. */
  connection?: DbConnection | RedisConnection;
  /** True when this run found it already running and only attached to it. */
  reused: boolean;
  containerId?: string;
  containerName?: string;
  pid?: number;
  /** Milliseconds from the call to ready. */
  readyMs: number;
}

/** Progress a stack reports; the CLI renders these, services never print. */
export type StackEvent =
  | { type: 'provider'; dependency: DependencyName; provider: ProviderName; reason: string }
  | { type: 'pull-progress'; image: string; layer?: string; status: string; current?: number; total?: number }
  | { type: 'starting'; dependency: DependencyName; detail: string }
  | { type: 'waiting'; dependency: DependencyName; reason: string }
  | { type: 'ready'; dependency: ResolvedDependency }
  | { type: 'stopped'; dependency: DependencyName; detail: string }
  | { type: 'warning'; message: string };

export type Reporter = (event: StackEvent) => void;
