import { describe, expect, it } from 'vitest';
import { ALONE, createCoalescer } from '../../src/db/coalesce.js';

/** A statement runner that records each call and answers when told to. */
function recorder(opts: { failMany?: (items: number[]) => boolean; aloneFor?: number[]; maxBatch?: number } = {}) {
  const sent: Array<{ kind: 'one' | 'many'; items: number[] }> = [];
  const release: Array<() => void> = [];
  const held = () => new Promise<void>((resolve) => release.push(resolve));
  const call = createCoalescer<number, string>({
    one: async (item) => {
      sent.push({ kind: 'one', items: [item] });
      await held();
      if (item < 0) throw new Error(`bad ${item}`);
      return `one:${item}`;
    },
    many: async (items) => {
      sent.push({ kind: 'many', items });
      await held();
      if (opts.failMany?.(items)) throw new Error('batch failed');
      return items.map((i) => (opts.aloneFor?.includes(i) ? ALONE : `many:${i}`));
    },
    ...(opts.maxBatch ? { maxBatch: opts.maxBatch } : {}),
  });
  /** Lets every statement sent so far answer, and waits for the next ones to be sent. */
  const answer = async () => {
    for (const r of release.splice(0)) r();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  };
  /** Answers statements until every call has its result. */
  const settle = async <T>(calls: Array<Promise<T>>): Promise<T[]> => {
    let done = false;
    const all = Promise.all(calls).finally(() => {
      done = true;
    });
    for (let turn = 0; turn < 10 && !done; turn++) await answer();
    return all;
  };
  return { call, sent, answer, settle };
}

describe('createCoalescer: calls of one statement sent together', () => {
  it('sends a lone call through the single statement', async () => {
    const r = recorder();
    expect(await r.settle([r.call(1)])).toEqual(['one:1']);
    expect(r.sent).toEqual([{ kind: 'one', items: [1] }]);
  });

  it("sends the calls of one turn of the event loop together, and the next turn's in their own batch", async () => {
    const r = recorder();
    const first = [r.call(1), r.call(2), r.call(3)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.sent).toEqual([{ kind: 'many', items: [1, 2, 3] }]);
    // The first batch is still out: the next turn's calls do not wait for it.
    const later = [r.call(4), r.call(5)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.sent).toEqual([
      { kind: 'many', items: [1, 2, 3] },
      { kind: 'many', items: [4, 5] },
    ]);
    expect(await r.settle([...first, ...later])).toEqual(['many:1', 'many:2', 'many:3', 'many:4', 'many:5']);
  });

  it('cuts a turn into statements of at most maxBatch calls', async () => {
    const r = recorder({ maxBatch: 2 });
    expect(await r.settle([1, 2, 3, 4, 5].map((i) => r.call(i)))).toEqual([
      'many:1',
      'many:2',
      'many:3',
      'many:4',
      'one:5',
    ]);
    expect(r.sent).toEqual([
      { kind: 'many', items: [1, 2] },
      { kind: 'many', items: [3, 4] },
      { kind: 'one', items: [5] },
    ]);
  });

  it('sends every call of a failed batch again alone, so only the bad one fails', async () => {
    const r = recorder({ failMany: (items) => items.some((i) => i < 0) });
    const results = [r.call(1), r.call(-2), r.call(3)].map((p) => p.then(String, (e: Error) => e.message));
    expect(await r.settle(results)).toEqual(['one:1', 'bad -2', 'one:3']);
    expect(r.sent.map((s) => s.kind)).toEqual(['many', 'one', 'one', 'one']);
  });

  it('sends a call the batch handed back (ALONE) through the single statement', async () => {
    const r = recorder({ aloneFor: [2] });
    const results = [r.call(1), r.call(2), r.call(3)];
    expect(await r.settle(results)).toEqual(['many:1', 'one:2', 'many:3']);
    expect(r.sent).toEqual([
      { kind: 'many', items: [1, 2, 3] },
      { kind: 'one', items: [2] },
    ]);
  });
});
