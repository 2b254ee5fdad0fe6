import { projectOptions } from '../project-options.js';
import type { CommandDefinition } from '../types.js';

export const dbResetCommand: CommandDefinition = {
  path: ['db', 'reset'],
  summary: 'the documented reset: stop, delete the db data, start, migrate, seed (asks first)',
  configure: (cmd) => cmd.option('-y, --yes', 'do not ask (required without a terminal)'),
  run: async (ctx) => {
    const { global, out, options } = ctx;
    const { noTtyError } = await import('../../errors/cli-errors.js');
    if (options.yes !== true) {
      if (!process.stdin.isTTY) {
        throw noTtyError(
          'db reset deletes every row of the database and there is no terminal to confirm on; nothing was deleted',
          { hint: 'Run `difyctl db reset --yes` to confirm.' },
        );
      }
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl
        .question(
          `This deletes all data of the database of project "${global.projectName ?? global.projectDir}". Type "reset" to continue: `,
        )
        .finally(() => rl.close());
      if (answer.trim() !== 'reset') {
        out.info('not confirmed: nothing was deleted');
        return { data: { reset: false }, exitCode: 1 };
      }
    }
    const { dbReset } = await import('../../operations/db-reset.js');
    const { stackReporter } = await import('../render-stack.js');
    const result = await dbReset({ ...projectOptions(ctx), report: stackReporter(out) });
    for (const dir of result.removed) out.print(`removed ${dir}`);
    out.print(`database recreated and migrated (${result.migrated.length} migrations, seed data loaded)`);
    if (result.restarted.length) out.print(`restarted ${result.restarted.join(' and ')}`);
    return { data: { reset: true, ...result } };
  },
};
