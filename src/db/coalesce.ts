/**
 * Calls of one statement sent together. The calls made during one turn of the event loop (answers
 * that arrived together, requests read together) leave at its end in one statement: a busy process
 * sends one round trip, one commit and wakes one backend for all of them, instead of one each; an
 * idle one sends each call alone through `one`, the single-row statement, as before.
 *
 * Each caller still learns its own outcome: when `many` fails, every call of the batch is sent
 * again through `one`, so an error reaches only the call that caused it; `many` may also hand a
 * call back (ALONE) for `one` to answer, with its own result or error.
 */

/** A result of `many`: this call is sent again through `one`. */
export const ALONE: unique symbol = Symbol('alone');

export interface CoalescerOptions<I, O> {
  /** The statement for one call. */
  one: (item: I) => Promise<O>;
  /** The statement for several: results in the order of `items`. */
  many: (items: I[]) => Promise<Array<O | typeof ALONE>>;
  /** Most calls in one statement. @default 64 */
  maxBatch?: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export function createCoalescer<I, O>(options: CoalescerOptions<I, O>): (item: I) => Promise<O> {
  const { one, many, maxBatch = 64 } = options;
  let waiting: Array<Waiting<I, O>> = [];

  const send = async (batch: Array<Waiting<I, O>>): Promise<void> => {
    let results: Array<O | typeof ALONE> = [];
    if (batch.length > 1)
      results = await many(batch.map((w) => w.item)).catch(
        // One call spoilt the batch (or the connection failed): each goes again on its own.
        () => [],
      );
    await Promise.all(
      batch.map((w, i) => {
        const result = i < results.length ? results[i] : ALONE;
        if (result !== ALONE) return w.resolve(result as O);
        return one(w.item).then(w.resolve, w.reject);
      }),
    );
  };

  const flush = (): void => {
    const turn = waiting;
    waiting = [];
    for (let at = 0; at < turn.length; at += maxBatch) void send(turn.slice(at, at + maxBatch));
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      // The first call of a turn schedules the flush at its end (setImmediate: after the I/O
      // callbacks of this turn, so the calls they make join).
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ item, resolve, reject });
    });
}
