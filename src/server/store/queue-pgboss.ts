import PgBoss from 'pg-boss';
import type { DbServer } from '../../db/types.js';
import { acceptedWithin, DEFAULT_RETRY } from './queue.js';
import type { ConsumeOptions, QueueName, RetryPolicy, TaskQueue } from './queue.js';

export interface PgBossQueueOptions {
  connection: DbServer;
  retry?: RetryPolicy;
  /** Maintenance (expiry, archiving) runs in the worker process only. @default false */
  supervise?: boolean;
  /** How often an idle worker polls. @default 1 */
  pollingIntervalSeconds?: number;
  onError?: (error: Error) => void;
}

interface Payload {
  name: string;
  data: Record<string, unknown>;
}

/** The task queue without Redis: pg-boss (its own `pgboss` schema), failed jobs kept. */
export function pgBossQueue(options: PgBossQueueOptions): TaskQueue {
  const retry = options.retry ?? DEFAULT_RETRY;
  // retryDelay is whole seconds in pg-boss; a sub-second backoff means "retry at once". Set on each
  // job too: the queue row keeps the policy of whoever created it first.
  const retryOptions = {
    retryLimit: retry.attempts - 1,
    retryDelay: Math.floor(retry.backoffMs / 1000),
    retryBackoff: retry.backoffMs >= 1000,
  };
  const boss = new PgBoss({
    ...options.connection,
    max: 3,
    supervise: options.supervise ?? false,
    schedule: false,
    application_name: 'difyctl-queue',
  });
  boss.on('error', (error: Error) => options.onError?.(error));
  let started: Promise<unknown> | undefined;
  const created = new Map<QueueName, Promise<void>>();
  const ready = async (queue: QueueName): Promise<void> => {
    started ??= boss.start().catch((error: unknown) => {
      started = undefined;
      throw error;
    });
    await started;
    let creating = created.get(queue);
    if (!creating) {
      creating = boss.createQueue(queue, { name: queue, ...retryOptions });
      creating.catch(() => created.delete(queue));
      created.set(queue, creating);
    }
    await creating;
  };
  return {
    kind: 'pg-boss',
    enqueue: async (queue, name, data) => {
      const sending = ready(queue).then(() => boss.send(queue, { name, data } satisfies Payload, retryOptions));
      const id = await acceptedWithin(sending, 'PostgreSQL');
      if (!id) throw new Error(`pg-boss did not accept a ${queue} task`);
      return id;
    },
    consume: async ({ queues, concurrency, handler, onFailure }: ConsumeOptions) => {
      for (const queue of queues) {
        await ready(queue);
        // pg-boss 10 has no per-worker concurrency: N polling workers give N tasks at once.
        for (let i = 0; i < concurrency; i++) {
          await boss.work<Payload>(
            queue,
            { batchSize: 1, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1 },
            async ([job]) => {
              if (!job) return;
              const task = { id: job.id, queue, name: job.data.name, data: job.data.data };
              try {
                await handler(task);
              } catch (error) {
                onFailure?.(task, error);
                throw error;
              }
            },
          );
        }
      }
    },
    state: async (queue, id) => {
      await ready(queue);
      const job = await boss.getJobById(queue, id, { includeArchive: true });
      if (!job) return null;
      const state = job.state === 'created' ? 'waiting' : job.state === 'cancelled' ? 'failed' : job.state;
      const output = job.output as { message?: string } | null;
      const failedAttempts = job.state === 'failed' ? job.retryCount + 1 : job.retryCount;
      return { state, failedAttempts, error: output?.message };
    },
    close: async (timeoutMs = 30_000) => {
      if (started) await boss.stop({ graceful: true, timeout: timeoutMs, wait: true }).catch(() => {});
    },
  };
}
