import type { CommandDefinition } from '../types.js';

export const stopCommand: CommandDefinition = {
  path: ['stop'],
  summary: 'stop the stack and keep it (containers, embedded servers, data): `difyctl start` resumes it',
  configure: (cmd) => cmd.option('-t, --timeout <seconds>', 'seconds each container gets to stop before it is killed', '10'),
  run: async ({ global, out, env, options }) => {
    const { DifyctlError } = await import('../../errors/index.js');
    const timeout = Number(options.timeout);
    if (!Number.isFinite(timeout) || timeout < 0) throw new DifyctlError('CLI.USAGE', `--timeout must be a number of seconds, not "${String(options.timeout)}"`);
    const { stopStack } = await import('../../stack/stop-start.js');
    const result = await stopStack({ projectDir: global.projectDir, file: global.file, envFile: global.envFile, projectName: global.projectName, env, stopTimeoutS: timeout });
    if (!result.stopped.length) out.print('nothing to stop');
    for (const item of result.stopped) out.print(`stopped ${item}`);
    return { data: result };
  },
};
