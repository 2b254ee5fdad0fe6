import { describe, expect, it } from 'vitest';
import { createStopFlags, type FlagStore } from '../../src/apps/stop-flags.js';

/** The shared key-value table of two processes, in memory (the real ones are tested in apps-stop). */
function memoryStore(options: { failSet?: boolean } = {}): FlagStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get: async (key) => data.get(key) ?? null,
    set: async (key, value) => {
      if (options.failSet) throw new Error('store away');
      data.set(key, value);
    },
  };
}

const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve())));

describe('stop flags', () => {
  it('stops a task at once in its own process, only for its owner', async () => {
    const flags = createStopFlags(memoryStore(), { pollMs: 5 });
    const task = await flags.begin('t1', 'end-user-a');
    await flags.requestStop('t1', 'end-user-b');
    expect(task.signal?.aborted).toBe(false);
    await flags.requestStop('t1', 'end-user-a');
    expect(task.signal?.aborted).toBe(true);
    task.end();
    expect(flags.running).toBe(0);
    flags.close();
  });

  it('keeps a task that nobody else can stop (a blocking answer) out of the store and the poll', async () => {
    const store = memoryStore();
    let lookups = 0;
    const counted: FlagStore = {
      ...store,
      get: async (key) => {
        lookups += 1;
        return store.get(key);
      },
    };
    const flags = createStopFlags(counted, { pollMs: 1 });
    const task = await flags.begin('t0', 'end-user-a', { shared: false });
    expect(store.data.size).toBe(0);
    expect(flags.running).toBe(1);
    // A stop request finds no owner recorded: nothing happens, as for an unknown task; it has nothing to fire.
    await flags.requestStop('t0', 'end-user-a');
    expect(task.signal).toBeUndefined();
    expect(lookups).toBe(1);
    // A shared task started now is polled; the blocking one is not among the keys looked up.
    const polled = await flags.begin('t1', 'end-user-a');
    store.data.set('generate_task_stopped:t0', '1');
    store.data.set('generate_task_stopped:t1', '1');
    await aborted(polled.signal!);
    task.end();
    task.end();
    expect(flags.running).toBe(1);
    polled.end();
    expect(flags.running).toBe(0);
    flags.close();
  });

  it('stops a task of another process through the shared store (polled)', async () => {
    const shared = memoryStore();
    const here = createStopFlags(shared, { pollMs: 5 });
    const there = createStopFlags(shared, { pollMs: 5 });
    const task = await here.begin('t2', 'end-user-a');
    await there.requestStop('t2', 'end-user-a');
    await aborted(task.signal!);
    expect(shared.data.get('generate_task_stopped:t2')).toBe('1');
    task.end();
    here.close();
    there.close();
  });

  it('uses one lookup per poll when the store can answer for many keys', async () => {
    const shared = memoryStore();
    let lookups = 0;
    const batched: FlagStore = {
      ...shared,
      present: async (keys) => {
        lookups += 1;
        return new Set(keys.filter((k) => shared.data.has(k)));
      },
    };
    const flags = createStopFlags(batched, { pollMs: 5 });
    const tasks = await Promise.all(['a', 'b', 'c'].map((id) => flags.begin(id, 'end-user-a')));
    shared.data.set('generate_task_stopped:b', '1');
    await aborted(tasks[1]!.signal!);
    expect(tasks[0]!.signal?.aborted).toBe(false);
    expect(lookups).toBeGreaterThan(0);
    for (const t of tasks) t.end();
    flags.close();
  });

  it('lets a task run when the store cannot record it (reported, not thrown)', async () => {
    const errors: unknown[] = [];
    const flags = createStopFlags(memoryStore({ failSet: true }), { pollMs: 5, onError: (e) => errors.push(e) });
    const task = await flags.begin('t3', 'end-user-a');
    expect(task.signal?.aborted).toBe(false);
    expect(errors).toHaveLength(1);
    task.end();
    flags.close();
  });
});
