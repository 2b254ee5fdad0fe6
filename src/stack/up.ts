import { loadConfig, requireValid, type ResolvedConfig } from '../config/resolve.js';
import type { ProjectOptions } from '../config/project.js';
import type { Settings } from '../config/schema.js';
import { DifyctlError } from '../errors/index.js';
import { systemClock, type Clock } from './clock.js';
import { acquireProjectLock, type ProjectLock } from './project-lock.js';
import { httpStrategy } from './ready/http.js';
import { resolvedEnvironment } from './resolved-env.js';
import { launchServices, stopServices, type Launch, type LaunchOptions, type ServiceName, type SpawnedProcess } from './services/launch.js';
import { createStack, DEFAULT_TIMEOUT_MS, type Stack } from './stack.js';
import { readRunRecord, supervisorAlive } from './supervisor/run-file.js';
import type { Supervisor } from './supervisor/supervisor.js';
import type { DbConnection, ProviderChoice, Reporter, ResolvedDependency } from './types.js';

/** Shell variables the api/worker processes inherit besides their own environment. */
const INHERITED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'USER', 'TMPDIR', 'NODE_OPTIONS'];

export interface UpOptions extends ProjectOptions {
  /** @default 'api' */
  mode?: 'api' | 'worker' | 'all';
  provider?: ProviderChoice;
  /** Leave supervisors running detached (`-d`). @default false */
  detach?: boolean;
  /** `--no-migrate`. @default true */
  migrate?: boolean;
  /** @default 120_000 */
  timeoutMs?: number;
  report?: Reporter;
  onServiceEvent?: LaunchOptions['onEvent'];
  clock?: Clock;
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
 * The full `difyctl up` (SPEC §3) as phases the CLI can show as a task list: load → dependencies →
 * migrate → launch. One at a time per project (a lock); a failed run removes what it created.
 */
export class StackUp {
  readonly services: ServiceName[];
  readonly config: ResolvedConfig;
  readonly settings: Settings;
  private readonly stack: Stack;
  private readonly clock: Clock;
  private readonly deadline: number;
  private lock?: ProjectLock;
  private dependencies: ResolvedDependency[] = [];
  private migrated: string[] = [];
  /** In-process supervisors (foreground), known from the moment each starts. */
  readonly supervisors: Supervisor[] = [];
  /** Detached supervisors' pids (`-d`), known from the moment each spawns. */
  readonly detached: SpawnedProcess[] = [];
  /** launch() began: from then on, api/worker of this project are this run's to stop on failure. */
  private launching = false;
  /** Ctrl-C: ends a launch still waiting for /health (undo() stops what it spawned). */
  private readonly interrupt = new AbortController();

  constructor(private readonly options: UpOptions) {
    const mode = options.mode ?? 'api';
    this.services = mode === 'all' ? ['api', 'worker'] : [mode];
    this.config = loadConfig({ ...options, mode: 'api' });
    this.settings = requireValid(this.config);
    this.clock = options.clock ?? systemClock;
    this.deadline = this.clock.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.stack = createStack({ config: this.config, provider: options.provider, timeoutMs: options.timeoutMs, report: options.report, clock: this.clock, env: options.env });
  }

  private get remainingMs(): number {
    return Math.max(1000, this.deadline - this.clock.now());
  }

  private get projectDir(): string {
    return this.config.project.projectDir;
  }

  /** Takes the project lock; true when every requested service already runs and serves. */
  async alreadyRunning(onWait?: (holder: number) => void): Promise<boolean> {
    this.lock = await acquireProjectLock({ projectDir: this.projectDir, timeoutMs: this.remainingMs, clock: this.clock, onWait });
    for (const service of this.services) {
      const record = await readRunRecord(this.projectDir, service);
      if (record?.state !== 'running' || !(await supervisorAlive(record))) return false;
      if (service === 'api' && !(await httpStrategy({ url: `http://127.0.0.1:${this.settings.DIFY_PORT}/health` }).check({ timeoutMs: 2000 })).ok) return false;
    }
    // Not on a guess: db and redis are seen serving too (a container on an engine that does not answer is not).
    const serving = ['running', 'reachable', 'fallback'];
    return (await this.stack.ps()).every((row) => serving.includes(row.state) && (row.health === 'healthy' || row.state === 'fallback'));
  }

  async startDependencies(): Promise<ResolvedDependency[]> {
    this.dependencies = await this.stack.up();
    return this.dependencies;
  }

  /** Migrates when MIGRATION_ENABLED (and not --no-migrate); either way the database must be at head. */
  async migrate(): Promise<{ applied: string[]; skipped: boolean }> {
    const { createMigrator } = await import('../db/migrator.js');
    const db = this.dependencies.find((d) => d.name === 'db')?.connection as DbConnection | undefined;
    if (!db) throw new DifyctlError('INTERNAL.BUG', 'no database connection after the dependencies started');
    const migrator = createMigrator({ connection: db, lockTimeoutMs: this.remainingMs });
    const skipped = this.options.migrate === false || !this.settings.MIGRATION_ENABLED;
    if (!skipped) this.migrated = (await migrator.up()).migrations.map((m) => m.revision);
    const status = await migrator.status();
    if (!status.upToDate || status.foreign) {
      throw new DifyctlError('MIGRATE.PENDING', status.foreign ? 'the database holds Dify\'s own (alembic) schema' : `the database is not at head: ${status.pending.length} pending, ${status.drift.length} drifted`, {
        hint: skipped ? 'Run `difyctl migrate` (migrations are off: MIGRATION_ENABLED=false or --no-migrate), then `difyctl up` again.' : 'Run `difyctl migrate status` and `difyctl doctor --only db.migrations`.',
      });
    }
    return { applied: this.migrated, skipped };
  }

  /** The environment each service gets: its compose environment with addresses that serve. */
  private environment(service: ServiceName): Record<string, string | undefined> {
    const config = service === 'api' ? this.config : loadConfig({ ...this.options, mode: 'worker' });
    const raw = Object.fromEntries([...config.raw].map(([k, v]) => [k, v.value]));
    const env: Record<string, string | undefined> = resolvedEnvironment(raw, this.dependencies);
    for (const key of INHERITED) if (this.config.project.env[key] !== undefined) env[key] ??= this.config.project.env[key];
    if (this.dependencies.find((d) => d.name === 'redis')?.provider === 'none') env.DIFYCTL_REDIS = 'none';
    env.MODE = service;
    return env;
  }

  async launch(): Promise<Launch> {
    this.launching = true;
    const env = this.environment('api');
    const launch = await launchServices({
      projectDir: this.projectDir,
      services: this.services,
      env,
      port: this.settings.DIFY_PORT,
      detach: this.options.detach ?? false,
      timeoutMs: this.remainingMs,
      clock: this.clock,
      onEvent: this.options.onServiceEvent,
      supervisors: this.supervisors,
      detached: this.detached,
      signal: this.interrupt.signal,
      environmentFor: (service) => (service === 'api' ? env : this.environment(service)),
    });
    return launch;
  }

  /**
   * After a failure or an interrupt: what this run created goes — the api/worker it launched, then
   * the db/redis it started (data stays). Before launch() began, api/worker of an earlier `up` are
   * not this run's: they stay.
   */
  async undo(): Promise<void> {
    this.interrupt.abort();
    if (this.launching) await stopServices({ projectDir: this.projectDir, services: this.services, supervisors: this.supervisors, detached: this.detached });
    await this.stack.undo();
  }

  async release(): Promise<void> {
    await this.lock?.release();
    this.lock = undefined;
  }

  result(launch: Launch | undefined, alreadyRunning: boolean): UpResult {
    return {
      alreadyRunning,
      services: this.services,
      dependencies: this.dependencies,
      migrated: this.migrated,
      launch,
      apiUrl: this.services.includes('api') ? `http://127.0.0.1:${this.settings.DIFY_PORT}` : undefined,
      settings: this.settings,
    };
  }
}

/** All phases in order, for the programmatic API: `await upStack({ projectDir, detach: true })`. */
export async function upStack(options: UpOptions): Promise<UpResult> {
  const up = new StackUp(options);
  try {
    if (await up.alreadyRunning()) return up.result(undefined, true);
    await up.startDependencies();
    try {
      await up.migrate();
      return up.result(await up.launch(), false);
    } catch (error) {
      await up.undo();
      throw error;
    }
  } finally {
    await up.release();
  }
}
