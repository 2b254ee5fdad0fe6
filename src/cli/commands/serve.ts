import { Option } from 'commander';
import { ALL_QUEUES } from '../../operations/serve.js';
import type { CommandDefinition } from '../types.js';

export const serveCommand: CommandDefinition = {
  path: ['serve'],
  summary: 'run the embedded API server (or its worker) in the foreground, from the environment',
  configure: (cmd) =>
    cmd
      .addOption(
        new Option('--mode <mode>', 'api: the HTTP server; worker: the task queue consumer')
          .choices(['api', 'worker'])
          .default('api'),
      )
      .option('--queues <list>', `queues the worker consumes (comma-separated)`, ALL_QUEUES),
  run: async ({ global, env, options }) => {
    const { serve } = await import('../../operations/serve.js');
    const data = await serve({
      mode: options.mode === 'worker' ? 'worker' : 'api',
      queues: String(options.queues ?? ALL_QUEUES),
      baseDir: global.projectDir,
      env,
    });
    return { data };
  },
};
