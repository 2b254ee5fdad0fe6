import type { Project, ProjectOptions } from '../config/project.js';
import { usageError } from '../errors/index.js';
import type { LogLine } from '../logs/types.js';

export interface LogsOptions extends ProjectOptions {
  /** db, redis, api, worker or their compose names. @default all */
  services?: string[];
  /** Last N lines of each service. */
  tail?: number;
  /** A duration ago (`10m`, `1h30m`) or a time. */
  since?: string | Date;
  /** Only lines matching this regular expression, with `after`/`before` lines of context. */
  grep?: string;
  after?: number;
  before?: number;
  /** Keep reading new lines (each to `onLine`) until the signal aborts. */
  follow?: { signal: AbortSignal; onLine: (line: LogLine) => void };
  /** Called with the lines so far before following starts (so they print first). */
  onLines?: (lines: LogLine[], services: string[]) => void;
}

export interface LogsResult {
  /** The services read, in order. */
  services: string[];
  lines: LogLine[];
}

/** `difyctl logs` as a function: the services' logs merged in time order, filtered, optionally followed. */
export async function logs(options: LogsOptions = {}): Promise<LogsResult> {
  const { loadProject } = await import('../config/project.js');
  const { logSources, readLogs, followLogs } = await import('../logs/index.js');
  const { parseSince } = await import('../logs/timestamps.js');
  const project = loadProject(options);
  let since: Date | undefined;
  if (typeof options.since === 'string') {
    since = parseSince(options.since);
    if (!since)
      throw usageError(
        `--since ${options.since} is neither a duration (10m, 1h30m) nor a time`,
        'e.g. --since 10m or --since 2026-11-26T10:00:00Z',
      );
  } else since = options.since;
  let grep: { pattern: RegExp; after?: number; before?: number } | undefined;
  if (options.grep !== undefined) {
    try {
      grep = { pattern: new RegExp(options.grep), after: options.after, before: options.before };
    } catch (error) {
      throw usageError(`--grep ${options.grep}: ${(error as Error).message}`);
    }
  }
  const env = options.env ?? process.env;
  const sources = await logSources({
    projectDir: project.projectDir,
    projectName: project.projectName,
    env,
    services: options.services ?? [],
    aliases: await composeAliases(project),
  });
  const services = sources.map((s) => s.service);
  const lines = await readLogs({ sources, tail: options.tail, since, grep });
  options.onLines?.(lines, services);
  if (options.follow) await followLogs({ sources, grep, signal: options.follow.signal, onLine: options.follow.onLine });
  return { services, lines };
}

/** Compose service names of db, redis, api and worker (`db_postgres` in the newest Dify file) → logical names. */
async function composeAliases(project: Project): Promise<Record<string, string>> {
  const compose = project.compose;
  if (!compose) return {};
  const { findDependencyService } = await import('../stack/dependencies.js');
  const aliases: Record<string, string> = {};
  for (const [name, service] of Object.entries(compose.services)) {
    const mode = service.environment.get('MODE')?.value;
    if (mode === 'api' || mode === 'worker') aliases[name] = mode;
  }
  // The same rule `up` uses: the service DB_HOST / REDIS_HOST names, else the one with the image.
  for (const [dependency, hostVar] of [
    ['db', 'DB_HOST'],
    ['redis', 'REDIS_HOST'],
  ] as const) {
    const service = findDependencyService({ compose, name: dependency, host: project.lookup(hostVar) ?? dependency });
    if (service) aliases[service] = dependency;
  }
  return aliases;
}
