import type { CommandDefinition } from '../types.js';

export const psCommand: CommandDefinition = {
  path: ['ps'],
  summary: 'show each part of the stack: provider, state, health, address, container or pid, uptime, restarts',
  run: async ({ global, out, env }) => {
    const { loadConfig } = await import('../../config/resolve.js');
    const { createStack } = await import('../../stack/index.js');
    const { serviceRows } = await import('../../stack/services/status.js');
    const { readReadyMarker } = await import('../../stack/services/ready-marker.js');
    const { readState } = await import('../../stack/state.js');
    const { renderStatus } = await import('../render-stack.js');
    const config = loadConfig({ projectDir: global.projectDir, file: global.file, envFile: global.envFile, projectName: global.projectName, env, mode: 'api' });
    const { projectDir, projectName } = config.project;
    const settings = config.typed;
    const state = await readState(projectDir, projectName);
    const rows = [
      ...(await createStack({ config, env }).ps()),
      ...(await serviceRows({ projectDir, readMarker: settings ? () => readReadyMarker(settings, state) : undefined })),
    ];
    out.print(renderStatus(rows));
    return { data: { services: rows } };
  },
};
