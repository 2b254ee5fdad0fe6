import type { CommandDefinition } from '../types.js';

export const psCommand: CommandDefinition = {
  path: ['ps'],
  summary: 'show each part of the stack: provider, state, health, address, container or pid, uptime',
  run: async ({ global, out, env }) => {
    const { loadConfig } = await import('../../config/resolve.js');
    const { createStack } = await import('../../stack/index.js');
    const { renderStatus } = await import('../render-stack.js');
    const config = loadConfig({ projectDir: global.projectDir, file: global.file, envFile: global.envFile, projectName: global.projectName, env, mode: 'api' });
    const rows = await createStack({ config, env }).ps();
    out.print(renderStatus(rows));
    return { data: { services: rows } };
  },
};
