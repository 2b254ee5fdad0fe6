import path from 'node:path';
import type pg from 'pg';
import type { ModelRuntime } from '../../model-runtime/types.js';
import { checkDbLogin, createPool, TASK_QUERY_BOUNDS } from '../db.js';
import type { Logger } from '../logger.js';
import type { ServerSettings } from '../settings.js';
import { openBackends, type Backends } from '../store/index.js';
import type { QueueName, RetryPolicy } from '../store/queue.js';
import { createFileStorage } from '../services/file-storage.js';
import { runTask } from './tasks.js';
import { openVectorStore } from '../vector.js';
import { DOCUMENT_INDEXING_TASK, pruneVectorChanges, requeueStalled } from '../../knowledge/index.js';

export interface WorkerOptions {
  server: ServerSettings;
  queues: readonly QueueName[];
  logger: Logger;
  /** @default CELERY_WORKER_AMOUNT */
  concurrency?: number;
  retry?: RetryPolicy;
  /** pg-boss only: how often an idle consumer polls (≥ 0.5). @default 1 */
  pollingIntervalSeconds?: number;
  pool?: pg.Pool;
  backends?: Backends;
  /** Where a relative PROVIDER_PLUGINS_DIR resolves (the project). @default process.cwd() */
  baseDir?: string;
  /** Model calls of the `generation` tasks; by default one is made when that queue is consumed. */
  runtime?: ModelRuntime;
  /** `dataset` queue: a document in an indexing stage without progress for this long is queued again. @default 10 min */
  knowledgeStallMs?: number;
  /** `dataset` queue: how often that is checked (also once at start). @default 60 s */
  knowledgeSweepMs?: number;
}

export interface RunningWorker {
  backends: Backends;
  /** Stops taking tasks, lets running ones finish (bounded), closes connections. */
  stop(timeoutMs?: number): Promise<void>;
}

/** `serve --mode worker`: consumes the queues from BullMQ (Redis) or pg-boss (no Redis). */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { settings, redisEnabled } = options.server;
  const { logger } = options;
  const pool =
    options.pool ?? createPool({ settings, logger, applicationName: 'difyctl-worker', bounds: TASK_QUERY_BOUNDS });
  await checkDbLogin(pool, settings).catch(async (error: unknown) => {
    if (!options.pool) await pool.end().catch(() => {});
    throw error;
  });
  const backends =
    options.backends ??
    (await openBackends({
      settings,
      redisEnabled,
      pool,
      logger,
      retry: options.retry,
      supervise: true,
      pollingIntervalSeconds: options.pollingIntervalSeconds,
    }));
  const concurrency = options.concurrency ?? settings.CELERY_WORKER_AMOUNT;
  // Conversation names and knowledge indexing call models: the runtime (its providers, plugins, credentials) only when needed.
  let runtime = options.runtime;
  if (!runtime && (options.queues.includes('generation') || options.queues.includes('dataset'))) {
    const { createModelRuntime } = await import('../../model-runtime/index.js');
    runtime = await createModelRuntime({
      pool,
      secretKey: settings.SECRET_KEY,
      pluginsDir: path.resolve(options.baseDir ?? process.cwd(), settings.PROVIDER_PLUGINS_DIR),
      logger,
    });
  }
  // Knowledge documents made from files are read where the api stored them.
  const storage = createFileStorage(settings, options.baseDir ?? process.cwd());
  const vectors = openVectorStore(settings, pool);
  await backends.queue.consume({
    queues: options.queues,
    concurrency,
    handler: async (task) => {
      const started = Date.now();
      await runTask(task, { pool, logger, runtime, loadFile: storage.load, store: vectors.store });
      logger.info({ queue: task.queue, task: task.name, id: task.id, ms: Date.now() - started }, 'task done');
    },
    onFailure: (task, error) =>
      logger.warn(
        { queue: task.queue, task: task.name, id: task.id, err: (error as Error).message },
        'task failed (retried while attempts remain)',
      ),
  });
  logger.info({ queues: options.queues, concurrency, broker: backends.queue.kind }, 'worker consuming');
  // Knowledge documents a killed worker left half-indexed are queued again (once now, then periodically).
  let sweep: NodeJS.Timeout | undefined;
  if (options.queues.includes('dataset')) {
    const requeue = () =>
      requeueStalled(
        { pool, enqueue: (name, data) => backends.queue.enqueue('dataset', name, data) },
        { stallMs: options.knowledgeStallMs, task: DOCUMENT_INDEXING_TASK },
      )
        .then(
          (ids) => ids.length && logger.warn({ documents: ids }, 'knowledge documents left half-indexed: queued again'),
        )
        .catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'knowledge stall sweep failed'))
        // The default store's change log keeps an hour (older rows: one dataset-wide record per dataset).
        .then(() => pruneVectorChanges(pool))
        .catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'vector change log prune failed'));
    void requeue();
    sweep = setInterval(requeue, options.knowledgeSweepMs ?? 60_000);
    sweep.unref();
  }
  return {
    backends,
    stop: async (timeoutMs = 30_000) => {
      clearInterval(sweep);
      await backends.queue.close(timeoutMs);
      if (!options.backends) await backends.store.close();
      await vectors.close().catch(() => {});
      if (!options.pool) await pool.end().catch(() => {});
    },
  };
}
