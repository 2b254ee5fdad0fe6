import type { ResolvedConfig } from '../config/resolve.js';
import { requireValid } from '../config/resolve.js';
import { type DifyctlError, interruptedError } from '../errors/index.js';
import { chooseProvider } from './providers/choose.js';
import { systemClock, type Clock } from '../supervision/clock.js';
import { address, type StackContext, type Started } from './context.js';
import { addressSettings, dependencySpec } from './dependencies.js';
import {
  engineToRecord,
  projectEngine,
  type ProjectEngine,
  type ProjectEngineConnector,
} from './providers/docker/project-engine.js';
import { waitUntilReady } from './ready/wait.js';
import { resolvedEnvironment } from './resolved-env.js';
import { rollback } from './rollback.js';
import { startDocker } from './providers/docker/start.js';
import { startEmbeddedDb, startEmbeddedRedisDependency } from './providers/embedded/start.js';
import { attachExternal } from './providers/external/start.js';
import { readState, updateState } from './state.js';
import { checkDown, stackDown, type DownResult } from './stack-down.js';
import { stackStatus, type StatusRow } from './stack-status.js';
import {
  DEPENDENCIES,
  type DependencyName,
  type DependencySpec,
  type ProviderChoice,
  type Reporter,
  type ResolvedDependency,
} from './types.js';
import { unknownService } from '../config/errors.js';

/** SPEC §3: `--timeout` defaults to 120 s. */
export const DEFAULT_TIMEOUT_MS = 120_000;
/** How often a starting dependency's login is tried (SPEC §3: ≤ 250 ms). */
export const DEPENDENCY_POLL_MS = 50;

export interface DependencySetOptions {
  /** The api service's resolved configuration (`loadConfig({ mode: 'api' })`). */
  config: ResolvedConfig;
  /** @default 'auto' */
  provider?: ProviderChoice;
  /** Bound on start + readiness of all dependencies. @default 120_000 */
  timeoutMs?: number;
  report?: Reporter;
  clock?: Clock;
  /** @default the project's environment */
  env?: NodeJS.ProcessEnv;
  /** How the project's container engine is reached. @default projectEngine (dockerode) */
  connect?: ProjectEngineConnector;
}

/** db and redis of one project: the part of the stack handle that `up db redis`, `ps` and `down` use. */
export interface DependencySet {
  /** db and redis (or the ones named), started or attached, once each really serves. */
  up(names?: DependencyName[]): Promise<ResolvedDependency[]>;
  ps(): Promise<StatusRow[]>;
  down(options?: { volumes?: boolean }): Promise<DownResult>;
  /** Throws what `down` would refuse (`--volumes` with a container it cannot reach) before anything is touched. */
  checkDown(options?: { volumes?: boolean }): Promise<void>;
  /** The api/worker environment with service names replaced by the addresses that serve. */
  environment(deps: ResolvedDependency[]): Record<string, string | undefined>;
  /** The compose service name or logical name → dependency (`db_postgres` → db). */
  dependencyNamed(name: string): DependencyName | undefined;
  /**
   * Removes what `up()` created: after a later step of a full `up` failed, or on Ctrl-C while `up()`
   * still runs (it stops after the step in progress, removes what it started, then this resolves).
   */
  undo(): Promise<void>;
}

/** db and redis of the project (started, attached, listed, stopped); createStack() adds api/worker on top. */
export function dependencySet(options: DependencySetOptions): DependencySet {
  const project = options.config.project;
  let engine: Promise<ProjectEngine> | undefined;
  const env = options.env ?? project.env;
  // The shell's engine, else the one `up` recorded: its containers are there (issue 13, bug 1).
  const connect = () =>
    (engine ??= readState(project.projectDir, project.projectName).then((state) =>
      (options.connect ?? projectEngine)({ env, state }),
    ));
  const ctx: StackContext = {
    project,
    // Validated when a provider needs it (up): ps and down work on a configuration that is broken.
    get settings() {
      return requireValid(options.config);
    },
    report: options.report ?? (() => undefined),
    clock: options.clock ?? systemClock,
    env,
    engine: () => connect().then((p) => p.engine),
    projectEngine: connect,
  };
  const addresses = addressSettings(options.config);
  const specs = Object.fromEntries(
    DEPENDENCIES.map((name) => [name, dependencySpec({ name, settings: addresses, compose: project.compose })]),
  ) as Record<DependencyName, DependencySpec>;

  let stateWrites: Promise<unknown> = Promise.resolve();
  /** The ID of the engine the containers run on (asked while they started), next to its endpoint. */
  async function recordEngineId(): Promise<void> {
    const { engine, recorded } = await connect();
    if (recorded?.id && recorded.host === engine?.endpoint.host) return;
    const id = await engine?.id();
    if (!engine || !id) return;
    await updateState({
      projectDir: project.projectDir,
      project: project.projectName,
      change: (state) => {
        if (state.engine?.host === engine.endpoint.host) state.engine.id = id;
      },
    });
  }
  async function start(spec: DependencySpec): Promise<Started> {
    const before = await readState(project.projectDir, project.projectName);
    const record = before.services[spec.name];
    const choice = await chooseProvider({ ctx, spec, forced: options.provider ?? 'auto', record });
    ctx.report({ type: 'provider', dependency: spec.name, provider: choice.provider, reason: choice.reason });
    const started =
      choice.provider === 'external'
        ? await attachExternal(ctx, spec)
        : choice.provider === 'docker'
          ? await startDocker(ctx, spec)
          : spec.name === 'db'
            ? await startEmbeddedDb(ctx)
            : await startEmbeddedRedisDependency(ctx);
    if (started.provider === 'none')
      ctx.report({
        type: 'provider',
        dependency: spec.name,
        provider: 'none',
        reason: 'no redis-server on PATH: PostgreSQL fallback',
      });
    if (started.reused && record?.provider === started.provider) started.record.since = record.since;
    const reached = started.provider === 'docker' ? (await connect()).engine : undefined;
    const recorded = reached ? engineToRecord(reached, before.engine) : undefined;
    // Dependencies start at once: their read-change-write of the state file goes one at a time.
    const write = stateWrites.then(() =>
      updateState({
        projectDir: project.projectDir,
        project: project.projectName,
        change: (state) => {
          state.services[spec.name] = started.record;
          if (recorded) state.engine = recorded;
        },
      }),
    );
    stateWrites = write.catch(() => undefined);
    await write;
    return started;
  }

  async function ready({
    spec,
    started,
    t0,
    deadline,
    signal,
  }: {
    spec: DependencySpec;
    started: Started;
    t0: number;
    deadline: number;
    signal: AbortSignal;
  }): Promise<ResolvedDependency> {
    if (started.strategy && started.connection) {
      await waitUntilReady({
        dependency: spec.name,
        label: `${spec.name} (${started.provider}, ${address(started.connection)})`,
        strategy: started.strategy,
        timeoutMs: Math.max(0, deadline - ctx.clock.now()),
        totalTimeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        clock: ctx.clock,
        logTail: started.logTail,
        onWaiting: (reason) => ctx.report({ type: 'waiting', dependency: spec.name, reason }),
        signal,
        // As fast as a compose user polling real logins: a failed attempt costs a refused connection.
        pollMs: DEPENDENCY_POLL_MS,
      });
      await started.afterReady?.(deadline - ctx.clock.now());
    }
    const dependency: ResolvedDependency = {
      name: spec.name,
      provider: started.provider,
      spec,
      connection: started.connection,
      reused: started.reused,
      containerId: started.record.containerId,
      containerName: started.record.containerName,
      pid: started.record.pid,
      readyMs: ctx.clock.now() - t0,
    };
    ctx.report({ type: 'ready', dependency });
    return dependency;
  }

  let lastStarted: Array<[DependencyName, Started]> = [];
  /** The `up()` in progress, and how to interrupt it. */
  let running: Promise<unknown> | undefined;
  const interrupt = new AbortController();
  const interrupted = new Promise<never>((_, reject) =>
    interrupt.signal.addEventListener('abort', () =>
      reject(interruptedError('interrupted: stopping what this `up` started')),
    ),
  );
  interrupted.catch(() => undefined);

  async function up(names: DependencyName[]): Promise<ResolvedDependency[]> {
    requireValid(options.config); // nothing starts when the configuration is invalid (SPEC §3.1)
    const t0 = ctx.clock.now();
    const deadline = t0 + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    // Each dependency starts and is waited for on its own, all at once (compose creates containers in
    // parallel): one's container start overlaps the other's readiness. The first failure stops the rest.
    const started: Array<[DependencySpec, Started]> = [];
    const failed = new AbortController();
    const signal = AbortSignal.any([interrupt.signal, failed.signal]);
    let firstError: unknown;
    const one = async (spec: DependencySpec): Promise<ResolvedDependency> => {
      try {
        const s = await start(spec);
        started.push([spec, s]);
        if (signal.aborted) throw interruptedError(`stopped starting ${spec.name}`);
        return await ready({ spec, started: s, t0, deadline, signal });
      } catch (error) {
        if (!signal.aborted) firstError = error;
        failed.abort();
        throw error;
      }
    };
    const settled = Promise.allSettled(DEPENDENCIES.filter((n) => names.includes(n)).map((n) => one(specs[n])));
    try {
      const results = await Promise.race([settled, interrupted]);
      if (results.some((r) => r.status === 'rejected'))
        throw (
          firstError ?? (results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as unknown)
        );
      lastStarted = started.map(([spec, s]) => [spec.name, s]);
      const deps = results.map((r) => (r as PromiseFulfilledResult<ResolvedDependency>).value); // none rejected: checked above
      if (deps.some((d) => d.provider === 'docker')) await recordEngineId();
      return deps;
    } catch (error) {
      // Starts still in flight finish (and see the abort) before what they created is removed.
      failed.abort();
      await settled;
      await rollback(
        ctx,
        started.map(([spec, s]) => [spec.name, s]),
      );
      throw error;
    }
  }

  return {
    up(names = [...DEPENDENCIES]) {
      const run = up(names);
      running = run.catch(() => undefined);
      return run;
    },
    async undo() {
      // An `up()` still starting rolls itself back once interrupted: wait for that, then the rest.
      interrupt.abort();
      await running;
      await rollback(ctx, lastStarted);
      lastStarted = [];
    },
    ps: () => stackStatus(ctx, specs),
    down: (o = {}) => stackDown(ctx, { volumes: o.volumes ?? false }),
    checkDown: (o = {}) => checkDown(ctx, { volumes: o.volumes ?? false }),
    environment: (deps) =>
      resolvedEnvironment(Object.fromEntries([...options.config.raw].map(([k, v]) => [k, v.value])), deps),
    dependencyNamed(name) {
      if ((DEPENDENCIES as readonly string[]).includes(name)) return name as DependencyName;
      return DEPENDENCIES.find((d) => specs[d].service === name);
    },
  };
}

export function unknownDependency(name: string, known: string[]): DifyctlError {
  return unknownService(`"${name}" is not a dependency difyctl starts in this version`, {
    hint: `Name ${known.join(', ')}; the api and worker parts come with the full \`difyctl up\`.`,
  });
}
