import { Job, Queue, Worker, type ConnectionOptions } from 'bullmq';
import { BROKER_TUNING, clientFor, type RedisClient, type RedisTarget } from '../../config/redis-connection.js';
import { acceptedWithin, DEFAULT_RETRY } from './queue.js';
import type { ConsumeOptions, QueueName, RetryPolicy, TaskQueue, TaskState } from './queue.js';

/**
 * The queues' key prefix. On a cluster it is a hash tag, `{difyctl}`: a BullMQ queue's scripts
 * touch several keys at once, which a cluster only allows inside one slot. One server or a
 * sentinel master keeps the plain prefix (the keys queued before stay where they are).
 */
export const queuePrefix = (target: RedisTarget): string => (target.kind === 'cluster' ? '{difyctl}' : 'difyctl');

/** The task queue on Redis (CELERY_BROKER_URL or REDIS_*; a sentinel master or a cluster too): BullMQ, failed jobs kept. */
export function bullmqQueue(options: {
  target: RedisTarget;
  retry?: RetryPolicy;
  onError?: (error: Error) => void;
}): TaskQueue {
  // Connection errors while Redis is away: reported (rate-limited by the caller), never thrown.
  const onError = (error: Error): void => options.onError?.(error);
  const retry = options.retry ?? DEFAULT_RETRY;
  const { target } = options;
  const PREFIX = queuePrefix(target);
  // BullMQ takes ioredis options and opens its own connections. Workers block on Redis and need
  // maxRetriesPerRequest: null; producers fail fast instead, so a request never hangs on a broker
  // that is away (the route answers 503 and nothing half-happens). A cluster is given as ioredis
  // Cluster clients (BullMQ takes no cluster options), closed here since BullMQ does not own them.
  // ioredis options are what BullMQ reads; its ConnectionOptions union does not admit the plain
  // RedisOptions type of our ioredis copy, hence the casts.
  const owned: RedisClient[] = [];
  const connectionFor = (tuning: typeof BROKER_TUNING): ConnectionOptions => {
    if (target.kind === 'single') return { ...target.options, ...tuning } as ConnectionOptions;
    const client = clientFor(target, tuning);
    client.on('error', onError);
    owned.push(client);
    return client as ConnectionOptions;
  };
  let producerConnection: ConnectionOptions | undefined;
  const producer = (): ConnectionOptions =>
    (producerConnection ??= connectionFor({ ...BROKER_TUNING, maxRetriesPerRequest: 1, enableOfflineQueue: false }));
  const queues = new Map<QueueName, Queue>();
  const workers: Worker[] = [];
  const queueOf = (name: QueueName): Queue => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: producer(), prefix: PREFIX });
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
      const job = await acceptedWithin(adding, 'Redis');
      return String(job.id);
    },
    consume: async ({ queues: names, concurrency, handler, onFailure }: ConsumeOptions) => {
      for (const queue of names) {
        const worker = new Worker(
          queue,
          async (job) =>
            handler({ id: String(job.id), queue, name: job.name, data: job.data as Record<string, unknown> }),
          {
            connection: connectionFor(BROKER_TUNING),
            prefix: PREFIX,
            concurrency,
          },
        );
        worker.on('failed', (job, error) => {
          if (job)
            onFailure?.(
              { id: String(job.id), queue, name: job.name, data: job.data as Record<string, unknown> },
              error,
            );
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
        raw === 'completed'
          ? 'completed'
          : raw === 'failed'
            ? 'failed'
            : raw === 'active'
              ? 'active'
              : raw === 'delayed' && job.attemptsMade > 0
                ? 'retry'
                : 'waiting';
      return { state, failedAttempts: job.attemptsMade, error: job.failedReason || undefined };
    },
    close: async (timeoutMs = 30_000) => {
      const closing = Promise.all(workers.map((w) => w.close()));
      const bounded = await Promise.race([
        closing.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref()),
      ]);
      if (!bounded) await Promise.all(workers.map((w) => w.close(true)));
      await Promise.all([...queues.values()].map((q) => q.close()));
      await Promise.all(owned.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
