import { projectOptions } from '../project-options.js';
import type { CommandDefinition } from '../types.js';

export const startCommand: CommandDefinition = {
  path: ['start'],
  summary: 'start again what `difyctl stop` stopped (same containers and data), once it serves',
  configure: (cmd) => cmd.option('--timeout <seconds>', 'seconds to wait, in all, for everything to serve', '120'),
  run: async (ctx) => {
    const { out, options } = ctx;
    const { usageError } = await import('../../errors/index.js');
    const timeout = Number(options.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0)
      throw usageError(`--timeout must be a positive number of seconds, not "${String(options.timeout)}"`);
    const { startStack } = await import('../../stack/stop-start.js');
    const { stackReporter, renderReady, dependencyData } = await import('../render-stack.js');
    const result = await startStack({ ...projectOptions(ctx), report: stackReporter(out), timeoutMs: timeout * 1000 });
    if (result.dependencies.length) out.print(renderReady(result.dependencies, out));
    if (result.up?.apiUrl && result.services.includes('api')) out.print(`API: ${result.up.apiUrl}`);
    if (result.services.length) out.print(`started ${result.services.join(' and ')}`);
    return {
      data: {
        services: result.dependencies.map(dependencyData),
        started: result.services,
        apiUrl: result.up?.apiUrl ?? null,
      },
    };
  },
};
