import { connect } from '../console-common.js';
import type { CommandDefinition } from '../types.js';

const created = (unix: number) => new Date(unix * 1000).toISOString().replace('T', ' ').slice(0, 19);

export const appsListCommand: CommandDefinition = {
  path: ['apps', 'list'],
  summary: 'apps of the workspace: id, name, mode, created',
  run: async (ctx) => {
    const client = await connect(ctx);
    const { listApps } = await import('../../console-client/apps.js');
    const { renderTable } = await import('../../output/table.js');
    const { escapeControl } = await import('../../output/printable.js');
    const apps = await listApps(client);
    ctx.out.print(
      renderTable(
        ['ID', 'NAME', 'MODE', 'CREATED'],
        apps.map((a) => [a.id, escapeControl(a.name), a.mode, created(a.created_at)]),
      ),
    );
    return { data: { apps } };
  },
};

export const appsCreateCommand: CommandDefinition = {
  path: ['apps', 'create'],
  summary: "create an app; a chat or completion app gets the workspace's default model (or --model)",
  configure: (cmd) =>
    cmd
      .argument('<name>')
      .option('--mode <mode>', 'chat, completion, agent-chat, advanced-chat or workflow', 'chat')
      .option('--model <provider/model>', "the model (default: the workspace's default LLM)")
      .option('--pre-prompt <text>', "the app's instructions")
      .option('--description <text>'),
  run: async (ctx) => {
    const o = ctx.options;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const { usageError } = await import('../../errors/cli-errors.js');
    const { createApp, CREATABLE_MODES } = await import('../../console-client/apps.js');
    const mode = CREATABLE_MODES.find((m) => m === o.mode);
    if (!mode) throw usageError(`--mode ${String(o.mode)}: expected one of ${CREATABLE_MODES.join(', ')}`);
    const client = await connect(ctx);
    const app = await createApp(client, {
      name: String(ctx.args[0]),
      mode,
      model: str(o.model),
      prePrompt: str(o.prePrompt),
      description: str(o.description),
    });
    ctx.out.print(
      `created ${app.mode} app ${app.id} "${app.name}"${app.model ? ` using ${app.model.provider}/${app.model.name}` : ''}`,
    );
    if (!app.model && (mode === 'chat' || mode === 'completion'))
      ctx.out.warn('the workspace has no default model yet: `difyctl providers add …`, then set one with `--model`');
    return { data: app };
  },
};

export const appsRmCommand: CommandDefinition = {
  path: ['apps', 'rm'],
  summary: 'delete an app (by id or unique name) with its conversations and keys',
  configure: (cmd) => cmd.argument('<app>', 'app id or unique name'),
  run: async (ctx) => {
    const client = await connect(ctx);
    const { removeApp } = await import('../../console-client/apps.js');
    const app = await removeApp(client, String(ctx.args[0]));
    ctx.out.print(`deleted app ${app.id} "${app.name}"`);
    return { data: { id: app.id, name: app.name } };
  },
};

export const appsImportCommand: CommandDefinition = {
  path: ['apps', 'import'],
  summary: 'import an app from a Dify DSL file (kind: app, .yml)',
  configure: (cmd) =>
    cmd.argument('<file>', 'the DSL file').option('--name <name>', "the app's name (default: the DSL's)"),
  run: async (ctx) => {
    const { readFile } = await import('node:fs/promises');
    const file = String(ctx.args[0]);
    const yaml = await readFile(file, 'utf8'); // ENOENT/EACCES are reported as FS.NOT_FOUND/FS.PERMISSION
    const client = await connect(ctx);
    const { importApp } = await import('../../console-client/dsl.js');
    const result = await importApp(client, {
      yaml,
      name: typeof ctx.options.name === 'string' ? ctx.options.name : undefined,
    });
    ctx.out.print(
      `imported ${file} as app ${result.app_id}${result.status === 'completed-with-warnings' ? ' (with warnings)' : ''}`,
    );
    if (result.error) ctx.out.warn(result.error);
    for (const w of Array.isArray(result.warnings) ? result.warnings : []) {
      const warning = w as { message?: unknown; path?: unknown }; // Dify's DSL import warning
      ctx.out.warn(
        `${typeof warning.path === 'string' ? `${warning.path}: ` : ''}${String(warning.message ?? JSON.stringify(w))}`,
      );
    }
    return { data: result };
  },
};

export const appsExportCommand: CommandDefinition = {
  path: ['apps', 'export'],
  summary: 'print an app as Dify DSL (YAML), or write it with -o',
  configure: (cmd) =>
    cmd.argument('<app>', 'app id or unique name').option('-o, --output <file>', 'write the DSL to this file'),
  run: async (ctx) => {
    const client = await connect(ctx);
    const { exportApp } = await import('../../console-client/dsl.js');
    const { app, yaml } = await exportApp(client, String(ctx.args[0]));
    const output = typeof ctx.options.output === 'string' ? ctx.options.output : undefined;
    if (output) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(output, yaml);
      ctx.out.info(`wrote ${output}`);
    } else if (!ctx.out.json) ctx.out.writeStdout(yaml.endsWith('\n') ? yaml : `${yaml}\n`);
    return { data: { app, ...(output ? { file: output } : { yaml }) } };
  },
};
