/**
 * Stop flags shared across processes (Dify's AppQueueManager.set_stop_flag / _is_stopped) on the
 * store's key-value table: Redis, or PostgreSQL without Redis.
 *
 * - a running task records its owner: `generate_task_belong:<task>` = `end-user-<id>` (30 min);
 * - a stop request from the owner sets `generate_task_stopped:<task>` (10 min) and, when the task
 *   runs in this process, aborts it at once;
 * - each process polls the flags of its own running tasks (one timer, only while tasks run), so a
 *   stop that reached another process ends the stream here within one poll interval.
 *
 * A blocking answer's task id reaches its caller only with the answer, so nobody can ask to stop it:
 * it is only counted (`shared: false`): no store write, no polling, no signal.
 */
/** The part of the store's key-value table this needs (Redis or PostgreSQL). */
export interface FlagStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** The keys of `keys` that are set, in one round trip (used by the poller when present). */
  present?(keys: string[]): Promise<Set<string>>;
}

const belongKey = (taskId: string): string => `generate_task_belong:${taskId}`;
const stoppedKey = (taskId: string): string => `generate_task_stopped:${taskId}`;
export const ownerOf = (endUserId: string): string => `end-user-${endUserId}`;

const BELONG_TTL_SECONDS = 1800;
const STOPPED_TTL_SECONDS = 600;

export interface RunningTask {
  /** Fires when the task is stopped (by its owner, from any process); none for a task nobody can stop (`shared: false`). */
  signal?: AbortSignal;
  /** Forgets the task (its flags expire on their own). */
  end(): void;
}

export interface StopFlags {
  /**
   * Registers a task that starts now, owned by `owner` (ownerOf(endUserId)). Never fails: see onError.
   * `shared: false` keeps it out of the store (a blocking answer, whose task id nobody knows yet).
   */
  begin(taskId: string, owner: string, options?: { shared?: boolean }): Promise<RunningTask>;
  /** Stops a task if `owner` owns it (silently nothing otherwise, as Dify). */
  requestStop(taskId: string, owner: string): Promise<void>;
  /** Tasks running in this process. */
  readonly running: number;
  close(): void;
}

export function createStopFlags(
  store: FlagStore,
  options: { pollMs?: number; onError?: (error: unknown) => void } = {},
): StopFlags {
  const pollMs = options.pollMs ?? 500;
  const local = new Map<string, AbortController>();
  /** Tasks nobody can stop (blocking answers): counted, nothing more. */
  let unstoppable = 0;
  /** The tasks of `local` another process may stop: the ones polled. */
  const shared = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let polling = false;

  const poll = async (): Promise<void> => {
    if (polling) return;
    polling = true;
    try {
      const tasks = [...shared].flatMap((taskId) => {
        const controller = local.get(taskId);
        return controller ? [[taskId, controller] as const] : [];
      });
      if (store.present) {
        const stopped = await store.present(tasks.map(([taskId]) => stoppedKey(taskId)));
        for (const [taskId, controller] of tasks) if (stopped.has(stoppedKey(taskId))) controller.abort();
      } else {
        await Promise.all(
          tasks.map(async ([taskId, controller]) => {
            if ((await store.get(stoppedKey(taskId))) !== null) controller.abort();
          }),
        );
      }
    } catch (error) {
      // The store away for a moment: the next poll tries again; the stream goes on meanwhile.
      options.onError?.(error);
    } finally {
      polling = false;
    }
  };
  const schedule = (): void => {
    if (shared.size && !timer) {
      timer = setInterval(() => void poll(), pollMs);
      timer.unref();
    } else if (!shared.size && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return {
    async begin(taskId, owner, task = {}) {
      // A stop request finds no owner recorded for it, so it needs no signal (each costs a blocking
      // answer microseconds it has no use for).
      if (task.shared === false) {
        unstoppable += 1;
        let ended = false;
        const end = (): void => {
          if (!ended) unstoppable -= 1;
          ended = true;
        };
        return { end };
      }
      const controller = new AbortController();
      local.set(taskId, controller);
      const end = (): void => {
        local.delete(taskId);
        shared.delete(taskId);
        schedule();
      };
      shared.add(taskId);
      try {
        await store.set(belongKey(taskId), owner, BELONG_TTL_SECONDS);
      } catch (error) {
        // The store away: the answer goes on; only a stop sent to another process cannot reach it.
        options.onError?.(error);
      }
      schedule();
      return { signal: controller.signal, end };
    },
    async requestStop(taskId, owner) {
      if ((await store.get(belongKey(taskId))) !== owner) return;
      await store.set(stoppedKey(taskId), '1', STOPPED_TTL_SECONDS);
      local.get(taskId)?.abort();
    },
    get running() {
      return local.size + unstoppable;
    },
    close() {
      local.clear();
      shared.clear();
      schedule();
    },
  };
}
