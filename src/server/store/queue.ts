/** The task queues of Dify's Celery workers that the embedded worker consumes. */
export const QUEUE_NAMES = ['dataset', 'generation', 'mail', 'ops_trace', 'app_deletion'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface Task {
  id: string;
  queue: QueueName;
  /** The task within the queue, e.g. `remove_app_and_related_data`. */
  name: string;
  data: Record<string, unknown>;
}

export type TaskHandler = (task: Task) => Promise<void>;

export interface TaskState {
  state: 'waiting' | 'active' | 'retry' | 'completed' | 'failed';
  /** Attempts that have failed so far. */
  failedAttempts: number;
  error?: string;
}

/** How a failing task is retried before it is recorded as failed. */
export interface RetryPolicy {
  /** Total tries, the first included. @default 3 */
  attempts: number;
  /** First retry delay; it doubles each time. @default 2000 */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, backoffMs: 2000 };

export interface ConsumeOptions {
  queues: readonly QueueName[];
  /** Tasks run at once per queue (CELERY_WORKER_AMOUNT). */
  concurrency: number;
  handler: TaskHandler;
  /** Reports a task that failed an attempt (it may be retried). */
  onFailure?: (task: Task, error: unknown) => void;
}

export interface TaskQueue {
  readonly kind: 'bullmq' | 'pg-boss';
  enqueue(queue: QueueName, name: string, data: Record<string, unknown>): Promise<string>;
  consume(options: ConsumeOptions): Promise<void>;
  state(queue: QueueName, id: string): Promise<TaskState | null>;
  /** Stops taking tasks, waits for the running ones (bounded), closes connections. */
  close(timeoutMs?: number): Promise<void>;
}

export function isQueueName(value: string): value is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(value);
}

/** How long a request waits for the broker to accept a task before it answers 503. */
export const ENQUEUE_TIMEOUT_MS = 3000;

/**
 * Bounds a broker call: a broker that is away must not hold a request until GUNICORN_TIMEOUT.
 * The error carries code ETIMEDOUT, which the error handler answers as 503.
 */
export async function withDeadline<T>(work: Promise<T>, options: { ms: number; what: string }): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          Object.assign(new Error(`${options.what} did not answer within ${options.ms} ms`), { code: 'ETIMEDOUT' }),
        ),
      options.ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A broker's acceptance of a task, bounded by ENQUEUE_TIMEOUT_MS. A late acceptance after the
 * deadline is dropped: the caller has answered 503, and the task then fails with its app intact.
 */
export function acceptedWithin<T>(sending: Promise<T>, broker: string): Promise<T> {
  sending.catch(() => {});
  return withDeadline(sending, { ms: ENQUEUE_TIMEOUT_MS, what: `the task queue (${broker})` });
}
