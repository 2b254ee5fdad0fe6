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
    expect(task.signal.aborted).toBe(false);
    await flags.requestStop('t1', 'end-user-a');
    expect(task.signal.aborted).toBe(true);
    task.end();
    expect(flags.running).toBe(0);
    flags.close();
  });

  it('stops a task of another process through the shared store (polled)', async () => {
    const shared = memoryStore();
    const here = createStopFlags(shared, { pollMs: 5 });
    const there = createStopFlags(shared, { pollMs: 5 });
    const task = await here.begin('t2', 'end-user-a');
    await there.requestStop('t2', 'end-user-a');
    await aborted(task.signal);
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
    await aborted(tasks[1]!.signal);
    expect(tasks[0]!.signal.aborted).toBe(false);
    expect(lookups).toBeGreaterThan(0);
    for (const t of tasks) t.end();
    flags.close();
  });

  it('lets a task run when the store cannot record it (reported, not thrown)', async () => {
    const errors: unknown[] = [];
    const flags = createStopFlags(memoryStore({ failSet: true }), { pollMs: 5, onError: (e) => errors.push(e) });
    const task = await flags.begin('t3', 'end-user-a');
    expect(task.signal.aborted).toBe(false);
    expect(errors).toHaveLength(1);
    task.end();
    flags.close();
  });
});
