import { Option } from 'commander';
import { usageError } from '../../errors/index.js';
import type { CommandDefinition } from '../types.js';

export const upCommand: CommandDefinition = {
  path: ['up'],
  summary: 'start or attach PostgreSQL and Redis, migrate, and run the API server (and worker) supervised',
  configure: (cmd) =>
    cmd
      .argument(
        '[services...]',
        'only these: db, redis (or their compose names) start just the dependencies; api, worker pick the mode',
      )
      .addOption(
        new Option('--mode <mode>', 'what to run: all = api and worker, as compose starts both')
          .choices(['api', 'worker', 'all'])
          .default('all'),
      )
      .addOption(
        new Option('--provider <provider>', 'how to serve db/redis')
          .choices(['auto', 'docker', 'embedded', 'external'])
          .default('auto'),
      )
      .option('-d, --detach', 'return once healthy and leave everything running (`difyctl down` stops it)')
      .option('--no-migrate', 'do not migrate (the database must already be at head)')
      .option('--timeout <seconds>', 'seconds to wait, in all, for everything to serve', '120'),
  run: async (ctx) => {
    const { global, options, args } = ctx;
    const timeout = Number(options.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0)
      throw usageError(`--timeout must be a positive number of seconds, not "${String(options.timeout)}"`);
    const services = (args[0] as string[] | undefined) ?? [];
    const { modeOf } = await import('../../operations/up.js');
    const mode = modeOf(services, options.mode as 'api' | 'worker' | 'all') ?? 'all';
    const { runUp } = await import('../up-run.js');
    return runUp(ctx, {
      services,
      mode,
      provider: options.provider as 'auto',
      detach: options.detach === true,
      migrate: options.migrate !== false,
      timeoutMs: timeout * 1000,
      projectOptions: {
        projectDir: global.projectDir,
        file: global.file,
        envFile: global.envFile,
        projectName: global.projectName,
      },
    });
  },
};
