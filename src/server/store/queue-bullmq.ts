import { Job, Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import { DEFAULT_RETRY, ENQUEUE_TIMEOUT_MS, withDeadline, type ConsumeOptions, type QueueName, type RetryPolicy, type TaskQueue, type TaskState } from './queue.js';

const PREFIX = 'difyctl';

/** The task queue on Redis (CELERY_BROKER_URL or REDIS_*): BullMQ, failed jobs kept. */
export function bullmqQueue(options: { connection: RedisOptions; retry?: RetryPolicy; onError?: (error: Error) => void }): TaskQueue {
  // Connection errors while Redis is away: reported (rate-limited by the caller), never thrown.
  const onError = (error: Error): void => options.onError?.(error);
  const retry = options.retry ?? DEFAULT_RETRY;
  // BullMQ takes ioredis options and opens its own connections. Workers block on Redis and need
  // maxRetriesPerRequest: null; producers fail fast instead, so a request never hangs on a broker
  // that is away (the route answers 503 and nothing half-happens).
  // ioredis options are what BullMQ reads; its ConnectionOptions union does not admit the plain
  // RedisOptions type of our ioredis copy, hence the casts.
  const connection = { ...options.connection, maxRetriesPerRequest: null } as ConnectionOptions;
  const producer = { ...options.connection, maxRetriesPerRequest: 1, enableOfflineQueue: false } as ConnectionOptions;
  const queues = new Map<QueueName, Queue>();
  const workers: Worker[] = [];
  const queueOf = (name: QueueName): Queue => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: producer, prefix: PREFIX });
      queue.on('error', onError);
      queues.set(name, queue);
    }
    return queue;
  };
  return {
    kind: 'bullmq',
    enqueue: async (queue, name, data) => {
      const adding = queueOf(queue).add(name, data, {
        attempts: retry.attempts,
        backoff: { type: 'exponential', delay: retry.backoffMs },
        removeOnComplete: 1000,
        removeOnFail: false,
      });
      // A late success after the deadline finds the app unmarked; its task then fails, app intact.
      adding.catch(() => {});
      const job = await withDeadline(adding, { ms: ENQUEUE_TIMEOUT_MS, what: 'the task queue (Redis)' });
      return String(job.id);
    },
    consume: async ({ queues: names, concurrency, handler, onFailure }: ConsumeOptions) => {
      for (const queue of names) {
        const worker = new Worker(queue, async (job) => handler({ id: String(job.id), queue, name: job.name, data: job.data as Record<string, unknown> }), {
          connection,
          prefix: PREFIX,
          concurrency,
        });
        worker.on('failed', (job, error) => {
          if (job) onFailure?.({ id: String(job.id), queue, name: job.name, data: job.data as Record<string, unknown> }, error);
        });
        worker.on('error', onError);
        await worker.waitUntilReady();
        workers.push(worker);
      }
    },
    state: async (queue, id) => {
      const first = await Job.fromId(queueOf(queue), id);
      if (!first) return null;
      const raw = await first.getState();
      // Read the job again after its state: a snapshot taken before the last failure landed is stale.
      const job = (await Job.fromId(queueOf(queue), id)) ?? first;
      const state: TaskState['state'] =
        raw === 'completed' ? 'completed' : raw === 'failed' ? 'failed' : raw === 'active' ? 'active' : raw === 'delayed' && job.attemptsMade > 0 ? 'retry' : 'waiting';
      return { state, failedAttempts: job.attemptsMade, error: job.failedReason || undefined };
    },
    close: async (timeoutMs = 30_000) => {
      const closing = Promise.all(workers.map((w) => w.close()));
      const bounded = await Promise.race([closing.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref())]);
      if (!bounded) await Promise.all(workers.map((w) => w.close(true)));
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
