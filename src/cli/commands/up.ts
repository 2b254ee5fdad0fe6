import { Option } from 'commander';
import { DifyctlError } from '../../errors/index.js';
import type { CommandDefinition } from '../types.js';

export const upCommand: CommandDefinition = {
  path: ['up'],
  summary: 'start or attach PostgreSQL and Redis (`up db redis`); the API server part comes later',
  configure: (cmd) =>
    cmd
      .argument('[services...]', 'dependencies to start: db, redis (or their compose names, e.g. db_postgres)')
      .addOption(new Option('--provider <provider>', 'how to serve db/redis').choices(['auto', 'docker', 'embedded', 'external']).default('auto'))
      .option('--timeout <seconds>', 'seconds to wait, in all, for the dependencies to serve', '120'),
  run: async ({ global, out, env, args, options }) => {
    const { loadConfig } = await import('../../config/resolve.js');
    const { createStack, unknownDependency } = await import('../../stack/index.js');
    const { stackReporter, renderReady, dependencyData } = await import('../render-stack.js');
    const timeout = Number(options.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) throw new DifyctlError('CLI.USAGE', `--timeout must be a positive number of seconds, not "${String(options.timeout)}"`);
    const config = loadConfig({ projectDir: global.projectDir, file: global.file, envFile: global.envFile, projectName: global.projectName, env, mode: 'api' });
    const stack = createStack({ config, provider: options.provider as 'auto', timeoutMs: timeout * 1000, report: stackReporter(out), env });
    const requested = (args[0] as string[] | undefined) ?? [];
    const names = requested.map((name) => {
      const dependency = stack.dependencyNamed(name);
      if (!dependency) throw unknownDependency(name, ['db', 'redis']);
      return dependency;
    });
    const deps = await stack.up(names.length ? [...new Set(names)] : undefined);
    out.print(renderReady(deps, out));
    if (requested.length === 0) {
      throw new DifyctlError('CLI.NOT_IMPLEMENTED', 'db and redis are up; the API server part of `difyctl up` is not built yet.', {
        hint: 'Start the dependencies alone with `difyctl up db redis`; `difyctl down` stops them.',
        details: { services: deps.map(dependencyData) },
      });
    }
    return { data: { services: deps.map(dependencyData) } };
  },
};
