import { connect } from '../console-common.js';
import type { CommandDefinition } from '../types.js';

const when = (unix: number | null) => (unix ? new Date(unix * 1000).toISOString().replace('T', ' ').slice(0, 19) : '-');

export const keysCreateCommand: CommandDefinition = {
  path: ['keys', 'create'],
  summary: "create an app's API key: printed once, and kept in .difyctl/ for `difyctl chat`",
  configure: (cmd) => cmd.argument('<app>', 'app id or unique name'),
  run: async (ctx) => {
    const client = await connect(ctx);
    const { createApiKey } = await import('../../console-client/keys.js');
    const { app, key } = await createApiKey(client, String(ctx.args[0]));
    ctx.out.print(key.token);
    ctx.out.info(`API key ${key.id} of app "${app.name}": shown once (kept in .difyctl/console.json for difyctl chat)`);
    return { data: { app: { id: app.id, name: app.name }, key } };
  },
};

export const keysListCommand: CommandDefinition = {
  path: ['keys', 'list'],
  summary: "an app's API keys (their first characters only)",
  configure: (cmd) => cmd.argument('<app>', 'app id or unique name'),
  run: async (ctx) => {
    const client = await connect(ctx);
    const { listApiKeys } = await import('../../console-client/keys.js');
    const { renderTable } = await import('../../output/table.js');
    const { app, keys } = await listApiKeys(client, String(ctx.args[0]));
    ctx.out.print(
      renderTable(
        ['ID', 'KEY', 'CREATED', 'LAST USED'],
        keys.map((k) => [k.id, k.token, when(k.created_at), when(k.last_used_at)]),
      ),
    );
    return { data: { app: { id: app.id, name: app.name }, keys } };
  },
};

export const keysRmCommand: CommandDefinition = {
  path: ['keys', 'rm'],
  summary: "revoke an app's API key",
  configure: (cmd) =>
    cmd.argument('<app>', 'app id or unique name').argument('<key-id>', 'the key id (`difyctl keys list APP`)'),
  run: async (ctx) => {
    const client = await connect(ctx);
    const { removeApiKey } = await import('../../console-client/keys.js');
    const result = await removeApiKey(client, String(ctx.args[0]), String(ctx.args[1]));
    ctx.out.print(`revoked key ${result.removed} of app "${result.app.name}"`);
    return { data: { app: { id: result.app.id, name: result.app.name }, removed: result.removed } };
  },
};
