import { usageError } from '../errors/index.js';

/** Every queue the worker consumes by default, as Dify's worker does. */
export const ALL_QUEUES = 'dataset,generation,mail,ops_trace,app_deletion';

export interface ServeOptions {
  /** @default 'api' */
  mode?: 'api' | 'worker';
  /** worker: the queues it consumes, comma-separated. @default ALL_QUEUES */
  queues?: string;
  /** Where relative paths (storage, plugins, middleware) resolve. */
  baseDir: string;
  /** The settings come from it, as a container's environment. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * `difyctl serve` as a function: the embedded API server (a cluster primary that forks workers, or
 * one of its workers) or the task-queue worker, in the foreground until SIGTERM/SIGINT.
 */
export async function serve(options: ServeOptions): Promise<{ mode: 'api' | 'worker'; stopped: true }> {
  const { settingsFromEnv, workerCount } = await import('../server/settings.js');
  const server = settingsFromEnv(options.env ?? process.env);
  const mode = options.mode ?? 'api';
  const { createLogger } = await import('../server/logger.js');
  if (mode === 'api') {
    const cluster = (await import('node:cluster')).default;
    if (cluster.isWorker) {
      const { runApiProcess } = await import('../server/listen.js');
      await runApiProcess({ server, baseDir: options.baseDir });
      return { mode, stopped: true };
    }
    const os = await import('node:os');
    const { runPrimary } = await import('../server/cluster.js');
    const logger = createLogger({ settings: server.settings, base: { mode: 'api', role: 'primary' } });
    const workers = workerCount(server.settings, os.availableParallelism());
    logger.info(
      { workers, port: server.settings.DIFY_PORT, store: server.redisEnabled ? 'redis' : 'postgres' },
      'starting api server',
    );
    await runPrimary({ workers, timeoutSeconds: server.settings.GUNICORN_TIMEOUT, logger });
    return { mode, stopped: true };
  }
  const { isQueueName } = await import('../server/store/queue.js');
  const queues = (options.queues ?? ALL_QUEUES)
    .split(',')
    .map((q) => q.trim())
    .filter(Boolean);
  const unknown = queues.filter((q) => !isQueueName(q));
  if (unknown.length > 0 || queues.length === 0) {
    throw usageError(`Unknown queue ${unknown.join(', ') || '(none given)'} in --queues`, `Pick from ${ALL_QUEUES}`);
  }
  const { startWorker } = await import('../server/worker/run-worker.js');
  const { onShutdownSignals } = await import('../server/signals.js');
  const { stopGraceMs } = await import('../server/settings.js');
  const logger = createLogger({ settings: server.settings, base: { mode: 'worker' } });
  const worker = await startWorker({ server, queues: queues.filter(isQueueName), logger, baseDir: options.baseDir });
  await new Promise<void>((resolve) => {
    onShutdownSignals({
      onStop: (signal) => {
        logger.info({ signal }, 'worker stopping: finishing running tasks');
        void worker.stop(stopGraceMs(server.settings)).finally(resolve);
      },
      onForce: () => resolve(),
    });
  });
  logger.info('worker stopped');
  return { mode, stopped: true };
}
