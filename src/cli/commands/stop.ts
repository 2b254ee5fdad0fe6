import { projectOptions } from '../project-options.js';
import type { CommandDefinition } from '../types.js';

export const stopCommand: CommandDefinition = {
  path: ['stop'],
  summary: 'stop the stack and keep it (containers, embedded servers, data): `difyctl start` resumes it',
  configure: (cmd) =>
    cmd.option('-t, --timeout <seconds>', 'seconds each container gets to stop before it is killed', '10'),
  run: async (ctx) => {
    const { out, options } = ctx;
    const { usageError } = await import('../../errors/index.js');
    const timeout = Number(options.timeout);
    if (!Number.isFinite(timeout) || timeout < 0)
      throw usageError(`--timeout must be a number of seconds, not "${String(options.timeout)}"`);
    const { stopStack } = await import('../../stack/stop-start.js');
    const result = await stopStack({ ...projectOptions(ctx), stopTimeoutS: timeout });
    if (!result.stopped.length) out.print('nothing to stop');
    for (const item of result.stopped) out.print(`stopped ${item}`);
    return { data: result };
  },
};
