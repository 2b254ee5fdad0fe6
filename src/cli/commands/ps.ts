import { projectOptions } from '../project-options.js';
import type { CommandDefinition } from '../types.js';

export const psCommand: CommandDefinition = {
  path: ['ps'],
  summary: 'show each part of the stack: provider, state, health, address, container or pid, uptime, restarts',
  run: async (ctx) => {
    const { out } = ctx;
    const { ps } = await import('../../operations/ps.js');
    const { renderStatus } = await import('../render-stack.js');
    const rows = await ps(projectOptions(ctx));
    out.print(renderStatus(rows));
    return { data: { services: rows } };
  },
};
