import { Option } from 'commander';
import { DifyctlError } from '../../errors/index.js';
import type { CommandDefinition } from '../types.js';

const ALL_QUEUES = 'dataset,generation,mail,ops_trace,app_deletion';

export const serveCommand: CommandDefinition = {
  path: ['serve'],
  summary: 'run the embedded API server (or its worker) in the foreground, from the environment',
  configure: (cmd) =>
    cmd
      .addOption(new Option('--mode <mode>', 'api: the HTTP server; worker: the task queue consumer').choices(['api', 'worker']).default('api'))
      .option('--queues <list>', `queues the worker consumes (comma-separated)`, ALL_QUEUES),
  run: async ({ global, env, options }) => {
    const { settingsFromEnv, workerCount } = await import('../../server/settings.js');
    const server = settingsFromEnv(env);
    const mode = options.mode === 'worker' ? 'worker' : 'api';
    if (mode === 'api') {
      const cluster = (await import('node:cluster')).default;
      if (cluster.isWorker) {
        const { runApiProcess } = await import('../../server/listen.js');
        return runApiProcess({ server, baseDir: global.projectDir });
      }
      const os = await import('node:os');
      const { createLogger } = await import('../../server/logger.js');
      const { runPrimary } = await import('../../server/cluster.js');
      const logger = createLogger({ settings: server.settings, base: { mode: 'api', role: 'primary' } });
      const workers = workerCount(server.settings, os.availableParallelism());
      logger.info({ workers, port: server.settings.DIFY_PORT, store: server.redisEnabled ? 'redis' : 'postgres' }, 'starting api server');
      await runPrimary({ workers, timeoutSeconds: server.settings.GUNICORN_TIMEOUT, logger });
      return { data: { mode, stopped: true } };
    }
    const { isQueueName } = await import('../../server/store/queue.js');
    const queues = String(options.queues ?? ALL_QUEUES).split(',').map((q) => q.trim()).filter(Boolean);
    const unknown = queues.filter((q) => !isQueueName(q));
    if (unknown.length > 0 || queues.length === 0) {
      throw new DifyctlError('CLI.USAGE', `Unknown queue ${unknown.join(', ') || '(none given)'} in --queues`, { hint: `Pick from ${ALL_QUEUES}` });
    }
    const { createLogger } = await import('../../server/logger.js');
    const { startWorker } = await import('../../server/worker/run-worker.js');
    const { onShutdownSignals } = await import('../../server/signals.js');
    const logger = createLogger({ settings: server.settings, base: { mode: 'worker' } });
    const worker = await startWorker({ server, queues: queues.filter(isQueueName), logger, baseDir: global.projectDir });
    await new Promise<void>((resolve) => {
      onShutdownSignals({
        onStop: (signal) => {
          logger.info({ signal }, 'worker stopping: finishing running tasks');
          void worker.stop(Math.min(server.settings.GUNICORN_TIMEOUT, 30) * 1000).finally(resolve);
        },
        onForce: () => resolve(),
      });
    });
    logger.info('worker stopped');
    return { data: { mode, stopped: true } };
  },
};
