import type { CommandContext, CommandDefinition } from '../types.js';

const ACTIONS = ['up', 'down', 'status', 'history', 'current', 'stamp', 'new'] as const;
type Action = (typeof ACTIONS)[number];

function usage(message: string): Promise<never> {
  return import('../../errors/index.js').then(({ DifyctlError }) => {
    throw new DifyctlError('CLI.USAGE', message, { hint: 'difyctl migrate [up|down [N]|status|history|current|stamp REV|new NAME] [--to REV] [--dry-run]' });
  });
}

/** The database of the project: settings, or the running stack's address from `.difyctl/state.json`. */
async function openMigrator(ctx: CommandContext) {
  const { loadConfig, requireValid } = await import('../../config/resolve.js');
  const { resolveDbConnection, describeConnection } = await import('../../db/connection.js');
  const { readState } = await import('../../stack/state.js');
  const { createMigrator } = await import('../../db/migrator.js');
  const { global, out, options } = ctx;
  const config = loadConfig({ projectDir: global.projectDir, file: global.file, envFile: global.envFile, projectName: global.projectName, env: ctx.env });
  const settings = requireValid(config);
  const state = await readState(config.project.projectDir, config.project.projectName);
  const target = resolveDbConnection(config.project, settings, state.services.db);
  out.debug(`database ${describeConnection(target.connection)} (from ${target.source})`);
  const lockTimeout = Number(options.lockTimeout ?? 60);
  if (!Number.isFinite(lockTimeout) || lockTimeout < 0) return usage(`--lock-timeout takes seconds (a number >= 0), not ${String(options.lockTimeout)}`);
  return createMigrator({
    connection: target.connection,
    lockTimeoutMs: lockTimeout * 1000,
    migrationsDir: typeof options.dir === 'string' ? (await import('node:path')).resolve(global.projectDir, options.dir) : undefined,
    logger: { info: (m) => out.info(m), warn: (m) => out.warn(m), debug: (m) => out.debug(m) },
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
      const { writeNewMigration } = await import('../../db/new-migration.js');
      const dir = path.resolve(global.projectDir, typeof options.dir === 'string' ? options.dir : 'src/db/migrations');
      const written = await writeNewMigration({ dir, name: arg });
      out.print(`${out.color.green('created')} ${path.relative(process.cwd(), written.file) || written.file} (revision ${written.revision}, follows ${written.down_revision ?? 'base'})`);
      return { data: written };
    }
    if (arg !== undefined && action !== 'down' && action !== 'stamp') return usage(`migrate ${action} takes no argument (got "${arg}")`);

    const migrator = await openMigrator(ctx);
    switch (action) {
      case 'up': {
        const result = await migrator.up({ to, dryRun });
        if (dryRun) out.print(result.sql ?? '');
        else out.print(render.renderRun(result, 'up', out.color));
        return { data: render.runData(result) };
      }
      case 'down': {
        let steps: number | undefined;
        if (arg !== undefined) {
          steps = Number(arg);
          if (!Number.isInteger(steps) || steps < 1) return usage(`migrate down takes a positive number of steps, not "${arg}"`);
        }
        const result = await migrator.down({ steps, to, dryRun });
        out.print(dryRun ? (result.sql ?? '') : render.renderRun(result, 'down', out.color));
        return { data: render.runData(result) };
      }
      case 'status': {
        const status = await migrator.status();
        out.print(render.renderStatus(status, out.color));
        return { data: render.statusData(status) };
      }
      case 'history': {
        const history = await migrator.history();
        out.print(render.renderHistory(history, out.color));
        return { data: history };
      }
      case 'current': {
        const current = await migrator.current();
        out.print(current ?? 'base');
        return { data: { current } };
      }
      case 'stamp': {
        if (!arg) return usage('migrate stamp needs a revision (a revision id, base or head)');
        const status = await migrator.stamp(arg);
        out.print(`Stamped at ${status.current ?? 'base'}; nothing was run.`);
        return { data: render.statusData(status) };
      }
    }
  },
};
