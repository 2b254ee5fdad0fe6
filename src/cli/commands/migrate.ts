import { projectOptions } from '../project-options.js';
import type { CommandDefinition } from '../types.js';

/** As MIGRATE_ACTIONS of the operation; written out here so that `--help` loads nothing more. */
const ACTIONS = ['up', 'down', 'status', 'history', 'current', 'stamp', 'new'] as const;
type Action = (typeof ACTIONS)[number];

function usage(message: string): Promise<never> {
  return import('../../operations/migrate.js').then(({ migrateUsage }) => {
    throw migrateUsage(message);
  });
}

export const migrateCommand: CommandDefinition = {
  path: ['migrate'],
  summary: 'run and inspect database migrations (default: up)',
  configure: (cmd) =>
    cmd
      .argument('[action]', `one of ${ACTIONS.join(', ')}`)
      .argument('[arg]', 'down: number of steps; stamp: the revision; new: the name')
      .option('--to <rev>', 'up/down: stop at this revision (base, head, or a revision id)')
      .option('--dry-run', 'print the SQL that would run; change nothing')
      .option('--lock-timeout <seconds>', 'how long to wait for another migrator', '60')
      .option('--dir <dir>', 'a folder of migration modules instead of the built-in ones (new: where to write)'),
  run: async (ctx) => {
    const { args, options, out, global } = ctx;
    const action = (args[0] ?? 'up') as Action;
    const arg = typeof args[1] === 'string' ? args[1] : undefined;
    if (!ACTIONS.includes(action)) return usage(`Unknown migrate action "${String(args[0])}"`);
    const render = await import('../render-migrate.js');
    const dryRun = options.dryRun === true;
    const to = typeof options.to === 'string' ? options.to : undefined;

    if (action === 'new') {
      if (!arg) return usage('migrate new needs a NAME');
      const path = await import('node:path');
      const { migrate } = await import('../../operations/migrate.js');
      const result = await migrate({
        projectDir: global.projectDir,
        action,
        name: arg,
        dir: typeof options.dir === 'string' ? options.dir : undefined,
      });
      if (result.action !== 'new') throw new Error('migrate new returned another action');
      const { written } = result;
      out.print(
        `${out.color.green('created')} ${path.relative(process.cwd(), written.file) || written.file} (revision ${written.revision}, follows ${written.down_revision ?? 'base'})`,
      );
      return { data: written };
    }
    if (arg !== undefined && action !== 'down' && action !== 'stamp')
      return usage(`migrate ${action} takes no argument (got "${arg}")`);

    const lockTimeout = Number(options.lockTimeout ?? 60);
    if (!Number.isFinite(lockTimeout) || lockTimeout < 0)
      return usage(`--lock-timeout takes seconds (a number >= 0), not ${String(options.lockTimeout)}`);
    let steps: number | undefined;
    if (action === 'down' && arg !== undefined) {
      steps = Number(arg);
      if (!Number.isInteger(steps) || steps < 1)
        return usage(`migrate down takes a positive number of steps, not "${arg}"`);
    }
    if (action === 'stamp' && !arg) return usage('migrate stamp needs a revision (a revision id, base or head)');
    const { migrate } = await import('../../operations/migrate.js');
    const result = await migrate({
      ...projectOptions(ctx),
      action,
      to: action === 'stamp' ? arg : to,
      steps,
      dryRun,
      lockTimeoutMs: lockTimeout * 1000,
      dir:
        typeof options.dir === 'string'
          ? (await import('node:path')).resolve(global.projectDir, options.dir)
          : undefined,
      logger: { info: (m) => out.info(m), warn: (m) => out.warn(m), debug: (m) => out.debug(m) },
    });
    switch (result.action) {
      case 'up':
      case 'down':
        out.print(dryRun ? (result.run.sql ?? '') : render.renderRun(result.run, result.action, out.color));
        return { data: render.runData(result.run) };
      case 'status':
        out.print(render.renderStatus(result.status, out.color));
        return { data: render.statusData(result.status) };
      case 'history':
        out.print(render.renderHistory(result.history, out.color));
        return { data: result.history };
      case 'current':
        out.print(result.current ?? 'base');
        return { data: { current: result.current } };
      case 'stamp':
        out.print(`Stamped at ${result.status.current ?? 'base'}; nothing was run.`);
        return { data: render.statusData(result.status) };
      case 'new':
        return { data: result.written };
    }
  },
};
