import type { ProjectOptions } from '../config/project.js';
import { loadConfig, requireValid, type ResolvedConfig } from '../config/resolve.js';
import type { Settings } from '../config/schema.js';
import { invariantBroken } from '../errors/index.js';
import { systemClock, type Clock } from '../supervision/clock.js';
import { acquireProjectLock, type ProjectLock } from '../supervision/project-lock.js';
import { readRunRecord, supervisorAlive } from '../supervision/run-file.js';
import type { Supervisor } from '../supervision/supervisor.js';
import { DEFAULT_TIMEOUT_MS, dependencySet, type DependencySet } from './dependency-set.js';
import type { ProjectEngineConnector } from './providers/docker/project-engine.js';
import {
  launchServices,
  stopServices,
  type Launch,
  type LaunchOptions,
  type ServiceName,
  type SpawnedProcess,
} from './launch/launch.js';
import { httpStrategy } from './ready/http.js';
import { resolvedEnvironment } from './resolved-env.js';
import type { DbConnection, ProviderChoice, Reporter, ResolvedDependency } from './types.js';
import { migratePending } from '../db/errors.js';

export { DEFAULT_TIMEOUT_MS, DEPENDENCY_POLL_MS, unknownDependency } from './dependency-set.js';

/** Shell variables the api/worker processes inherit besides their own environment. */
const INHERITED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'USER', 'TMPDIR', 'NODE_OPTIONS'];

export interface StackOptions extends ProjectOptions {
  /** The api service's resolved configuration. @default loadConfig({ ...options, mode: 'api' }) */
  config?: ResolvedConfig;
  /** What runs besides db and redis. @default 'api' */
  mode?: 'api' | 'worker' | 'all';
  /** @default 'auto' */
  provider?: ProviderChoice;
  /** Leave supervisors running detached (`-d`). @default false */
  detach?: boolean;
  /** `--no-migrate`. @default true */
  migrate?: boolean;
  /** Bound on the whole start (dependencies, migrations, api health). @default 120_000 */
  timeoutMs?: number;
  report?: Reporter;
  onServiceEvent?: LaunchOptions['onEvent'];
  clock?: Clock;
  /** How the project's container engine is reached. @default projectEngine (dockerode) */
  connect?: ProjectEngineConnector;
}

export interface UpResult {
  alreadyRunning: boolean;
  services: ServiceName[];
  dependencies: ResolvedDependency[];
  /** Revisions this run applied. */
  migrated: string[];
  launch?: Launch;
  apiUrl?: string;
  settings: Settings;
}

/**
 * One project's stack. db and redis alone (`up(names)`, `ps`, `down`), and the phases of the full
 * `difyctl up` (SPEC §3) in order — `alreadyRunning` (takes the project lock) → `startDependencies` →
 * `migrate` → `launch` — then `release`. `undo` removes what this handle created.
 */
export interface Stack extends DependencySet {
  readonly config: ResolvedConfig;
  /** The validated settings. @throws DifyctlError CONFIG.INVALID */
  readonly settings: Settings;
  /** api, worker or both, from `mode`. */
  readonly services: ServiceName[];
  /** In-process supervisors (foreground), known from the moment each starts. */
  readonly supervisors: Supervisor[];
  /** Detached supervisors' pids (`-d`), known from the moment each spawns. */
  readonly detached: SpawnedProcess[];
  /** Takes the project lock; true when every requested service already runs and serves. */
  alreadyRunning(onWait?: (holder: number) => void): Promise<boolean>;
  startDependencies(): Promise<ResolvedDependency[]>;
  /** Migrates when MIGRATION_ENABLED (and not `migrate: false`); either way the database must be at head. */
  migrate(): Promise<{ applied: string[]; skipped: boolean }>;
  launch(): Promise<Launch>;
  release(): Promise<void>;
  result(launch: Launch | undefined, alreadyRunning: boolean): UpResult;
}

/** The stack handle of a project (see Stack). Nothing starts until a method is called. */
export function createStack(options: StackOptions): Stack {
  const mode = options.mode ?? 'api';
  const services: ServiceName[] = mode === 'all' ? ['api', 'worker'] : [mode];
  const config = options.config ?? loadConfig({ ...options, mode: 'api' });
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const deps = dependencySet({
    config,
    provider: options.provider,
    timeoutMs: options.timeoutMs,
    report: options.report,
    clock,
    env: options.env,
    connect: options.connect,
  });
  const projectDir = config.project.projectDir;
  const remainingMs = () => Math.max(1000, deadline - clock.now());
  const supervisors: Supervisor[] = [];
  const detached: SpawnedProcess[] = [];
  let lock: ProjectLock | undefined;
  let dependencies: ResolvedDependency[] = [];
  let migrated: string[] = [];
  /** launch() began: from then on, api/worker of this project are this run's to stop on failure. */
  let launching = false;
  /** Ctrl-C: ends a launch still waiting for /health (undo() stops what it spawned). */
  const interrupt = new AbortController();
  // Validated when needed (up, the phases): ps and down work on a configuration that is broken.
  const settings = () => requireValid(config);

  /** The environment each service gets: its compose environment with addresses that serve. */
  const environment = (service: ServiceName): Record<string, string | undefined> => {
    const own = service === 'api' ? config : loadConfig({ ...options, mode: 'worker' });
    const env: Record<string, string | undefined> = resolvedEnvironment(
      Object.fromEntries([...own.raw].map(([k, v]) => [k, v.value])),
      dependencies,
    );
    for (const key of INHERITED) if (config.project.env[key] !== undefined) env[key] ??= config.project.env[key];
    if (dependencies.find((d) => d.name === 'redis')?.provider === 'none') env.DIFYCTL_REDIS = 'none';
    env.MODE = service;
    return env;
  };

  return {
    ...deps,
    config,
    get settings() {
      return settings();
    },
    services,
    supervisors,
    detached,
    async alreadyRunning(onWait) {
      const port = settings().DIFY_PORT;
      lock = await acquireProjectLock({ projectDir, timeoutMs: remainingMs(), clock, onWait });
      for (const service of services) {
        const record = await readRunRecord(projectDir, service);
        if (record?.state !== 'running' || !(await supervisorAlive(record))) return false;
        if (
          service === 'api' &&
          !(await httpStrategy({ url: `http://127.0.0.1:${port}/health` }).check({ timeoutMs: 2000 })).ok
        )
          return false;
      }
      // Not on a guess: db and redis are seen serving too (a container on an engine that does not answer is not).
      const serving = ['running', 'reachable', 'fallback'];
      return (await deps.ps()).every(
        (row) => serving.includes(row.state) && (row.health === 'healthy' || row.state === 'fallback'),
      );
    },
    async startDependencies() {
      dependencies = await deps.up();
      return dependencies;
    },
    async migrate() {
      const { createMigrator } = await import('../db/migrator.js');
      const db = dependencies.find((d) => d.name === 'db')?.connection as DbConnection | undefined;
      if (!db) throw invariantBroken('no database connection after the dependencies started');
      const migrator = createMigrator({ connection: db, lockTimeoutMs: remainingMs() });
      const skipped = options.migrate === false || !settings().MIGRATION_ENABLED;
      if (!skipped) migrated = (await migrator.up()).migrations.map((m) => m.revision);
      const status = await migrator.status();
      if (!status.upToDate || status.foreign) {
        throw migratePending(
          status.foreign
            ? "the database holds Dify's own (alembic) schema"
            : `the database is not at head: ${status.pending.length} pending, ${status.drift.length} drifted`,
          {
            hint: skipped
              ? 'Run `difyctl migrate` (migrations are off: MIGRATION_ENABLED=false or --no-migrate), then `difyctl up` again.'
              : 'Run `difyctl migrate status` and `difyctl doctor --only db.migrations`.',
          },
        );
      }
      return { applied: migrated, skipped };
    },
    async launch() {
      launching = true;
      const env = environment('api');
      return launchServices({
        projectDir,
        services,
        env,
        port: settings().DIFY_PORT,
        detach: options.detach ?? false,
        timeoutMs: remainingMs(),
        clock,
        onEvent: options.onServiceEvent,
        supervisors,
        detached,
        signal: interrupt.signal,
        environmentFor: (service) => (service === 'api' ? env : environment(service)),
      });
    },
    /**
     * After a failure or an interrupt: what this handle created goes — the api/worker it launched, then
     * the db/redis it started (data stays). Before launch() began, api/worker of an earlier `up` are
     * not this run's: they stay.
     */
    async undo() {
      interrupt.abort();
      if (launching) await stopServices({ projectDir, services, supervisors, detached });
      await deps.undo();
    },
    async release() {
      await lock?.release();
      lock = undefined;
    },
    result(launch, alreadyRunning) {
      return {
        alreadyRunning,
        services,
        dependencies,
        migrated,
        launch,
        apiUrl: services.includes('api') ? `http://127.0.0.1:${settings().DIFY_PORT}` : undefined,
        settings: settings(),
      };
    },
  };
}
