import { projectOptions } from '../project-options.js';
import type { CommandDefinition } from '../types.js';

export const downCommand: CommandDefinition = {
  path: ['down'],
  summary: 'stop what up started (by labels and the state file); data stays unless --volumes',
  configure: (cmd) => cmd.option('-v, --volumes', 'also delete the data of db and redis'),
  run: async (ctx) => {
    const { out, options } = ctx;
    const { down } = await import('../../operations/down.js');
    const { stackReporter } = await import('../render-stack.js');
    const result = await down({
      ...projectOptions(ctx),
      volumes: options.volumes === true,
      report: stackReporter(out),
      onWaitLock: (holder) => out.info(`waiting for another difyctl (pid ${holder}) to finish`),
      onWithoutLock: (why) =>
        out.warn(`${why.message}: stopping without the project lock [${why.code}]\n  fix: ${why.hint ?? ''}`),
    });
    if (result.stopped.length === 0 && result.removed.length === 0 && result.kept.length === 0)
      out.print('nothing to stop');
    for (const item of result.stopped) out.print(`stopped ${item}`);
    for (const item of result.removed) out.print(`removed ${item}`);
    // Containers it could not reach still run (their record stays): not a success.
    return { data: result, exitCode: result.kept.length ? 1 : 0 };
  },
};
