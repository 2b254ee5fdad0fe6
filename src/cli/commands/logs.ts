import { projectOptions } from '../project-options.js';
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
      .option('-t, --timestamps', "print each line's time")
      .option('--grep <regex>', 'only lines matching the regular expression')
      .option('-A, --after-context <n>', 'with --grep: lines after each match', int('-A'))
      .option('-B, --before-context <n>', 'with --grep: lines before each match', int('-B'))
      .option('--no-log-prefix', 'no service prefix'),
  run: async (ctx) => {
    const { out, args, options } = ctx;
    const { logs } = await import('../../operations/logs.js');
    const { LOG_SERVICES } = await import('../../logs/index.js');
    const { renderLine } = await import('../../logs/render.js');
    let render: Parameters<typeof renderLine>[1] | undefined;
    const print = (line: Parameters<typeof renderLine>[0]) =>
      render && out.writeStdout(`${renderLine(line, render)}\n`);
    const json = out.json && !options.follow;
    const controller = new AbortController();
    const stop = () => controller.abort();
    if (options.follow) {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
    try {
      const result = await logs({
        ...projectOptions(ctx),
        services: (args[0] as string[] | undefined) ?? [],
        tail: options.tail as number | undefined,
        since: typeof options.since === 'string' ? options.since : undefined,
        grep: typeof options.grep === 'string' ? options.grep : undefined,
        after: options.afterContext as number | undefined,
        before: options.beforeContext as number | undefined,
        onLines: (lines, services) => {
          const width = Math.max(...services.map((s) => s.length), 0);
          render = {
            color: out.color,
            width,
            timestamps: options.timestamps === true,
            prefix: options.logPrefix !== false,
            services: [...LOG_SERVICES],
          };
          if (!json) for (const line of lines) print(line);
        },
        follow: options.follow ? { signal: controller.signal, onLine: print } : undefined,
      });
      if (json)
        return {
          data: {
            lines: result.lines.map((l) => ({ service: l.service, time: l.time?.toISOString() ?? null, text: l.text })),
          },
        };
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return options.follow ? { data: null, exitCode: 130 } : { data: null };
  },
};
