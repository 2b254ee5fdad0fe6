import type { CommandDefinition } from '../types.js';

const int = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number`);
  return n;
};

export const logsCommand: CommandDefinition = {
  path: ['logs'],
  summary: 'logs of the api, worker, db and redis, merged in time order (like docker compose logs)',
  configure: (cmd) =>
    cmd
      .argument('[services...]', 'db, redis, api, worker (default: all)')
      .option('-f, --follow', 'keep printing new lines until Ctrl-C')
      .option('-n, --tail <n>', 'last N lines of each service', int('--tail'))
      .option('--since <when>', 'lines since a duration ago (10m, 1h) or a time')
      .option('-t, --timestamps', 'print each line\'s time')
      .option('--grep <regex>', 'only lines matching the regular expression')
      .option('-A, --after-context <n>', 'with --grep: lines after each match', int('-A'))
      .option('-B, --before-context <n>', 'with --grep: lines before each match', int('-B'))
      .option('--no-log-prefix', 'no service prefix'),
  run: async ({ global, out, env, args, options }) => {
    const { loadProject } = await import('../../config/project.js');
    const { logSources, readLogs, followLogs, LOG_SERVICES } = await import('../../logs/index.js');
    const { renderLine } = await import('../../logs/render.js');
    const { parseSince } = await import('../../logs/timestamps.js');
    const { DifyctlError } = await import('../../errors/index.js');
    const project = loadProject({ projectDir: global.projectDir, file: global.file, envFile: global.envFile, projectName: global.projectName, env });
    let since: Date | undefined;
    if (typeof options.since === 'string') {
      since = parseSince(options.since);
      if (!since) throw new DifyctlError('CLI.USAGE', `--since ${options.since} is neither a duration (10m, 1h30m) nor a time`, { hint: 'e.g. --since 10m or --since 2026-11-26T10:00:00Z' });
    }
    let grep: { pattern: RegExp; after?: number; before?: number } | undefined;
    if (typeof options.grep === 'string') {
      try {
        grep = { pattern: new RegExp(options.grep), after: options.afterContext as number | undefined, before: options.beforeContext as number | undefined };
      } catch (error) {
        throw new DifyctlError('CLI.USAGE', `--grep ${options.grep}: ${(error as Error).message}`);
      }
    }
    const services = (args[0] as string[] | undefined) ?? [];
    const sources = await logSources({ projectDir: project.projectDir, projectName: project.projectName, env, services, aliases: await composeAliases(project) });
    const width = Math.max(...sources.map((s) => s.service.length), 0);
    const render = { color: out.color, width, timestamps: options.timestamps === true, prefix: options.logPrefix !== false, services: [...LOG_SERVICES] };
    const lines = await readLogs({ sources, tail: options.tail as number | undefined, since, grep });
    if (out.json && !options.follow) return { data: { lines: lines.map((l) => ({ service: l.service, time: l.time?.toISOString() ?? null, text: l.text })) } };
    for (const line of lines) out.writeStdout(`${renderLine(line, render)}\n`);
    if (!options.follow) return { data: null };
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await followLogs({ sources, grep, signal: controller.signal, onLine: (line) => out.writeStdout(`${renderLine(line, render)}\n`) });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return { data: null, exitCode: 130 };
  },
};

/** Compose service names of db, redis, api and worker (`db_postgres` in the newest Dify file) → logical names. */
async function composeAliases(project: import('../../config/project.js').Project): Promise<Record<string, string>> {
  const compose = project.compose;
  if (!compose) return {};
  const { findDependencyService } = await import('../../stack/dependencies.js');
  const aliases: Record<string, string> = {};
  for (const [name, service] of Object.entries(compose.services)) {
    const mode = service.environment.get('MODE')?.value;
    if (mode === 'api' || mode === 'worker') aliases[name] = mode;
  }
  // The same rule `up` uses: the service DB_HOST / REDIS_HOST names, else the one with the image.
  for (const [dependency, hostVar] of [['db', 'DB_HOST'], ['redis', 'REDIS_HOST']] as const) {
    const service = findDependencyService({ compose, name: dependency, host: project.lookup(hostVar) ?? dependency });
    if (service) aliases[service] = dependency;
  }
  return aliases;
}
