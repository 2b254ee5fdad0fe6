import type { CommandDefinition } from '../types.js';

export const psCommand: CommandDefinition = {
  path: ['ps'],
  summary: 'show each part of the stack: provider, state, health, address, container or pid, uptime, restarts',
  run: async ({ global, out, env }) => {
    const { ps } = await import('../../operations/ps.js');
    const { renderStatus } = await import('../render-stack.js');
    const rows = await ps({ projectDir: global.projectDir, file: global.file, envFile: global.envFile, projectName: global.projectName, env });
    out.print(renderStatus(rows));
    return { data: { services: rows } };
  },
};
