/**
 * Calls of one statement sent together, as PostgreSQL's group commit does for WAL flushes: while
 * `inFlight` batches are out, new calls wait and leave together in one statement. An idle process
 * sends each call on the next turn of the event loop, alone, through `one` (the single-row
 * statement); a busy one sends a batch through `many`: one round trip, one commit, one backend
 * woken for all of them, instead of one each.
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
  /** Batches out at once. @default 1 */
  inFlight?: number;
  /** Most calls in one batch. @default 64 */
  maxBatch?: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export function createCoalescer<I, O>(options: CoalescerOptions<I, O>): (item: I) => Promise<O> {
  const { one, many, inFlight = 1, maxBatch = 64 } = options;
  const waiting: Array<Waiting<I, O>> = [];
  let out = 0;
  let scheduled = false;

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

  const drain = (): void => {
    scheduled = false;
    while (out < inFlight && waiting.length > 0) {
      out++;
      void send(waiting.splice(0, maxBatch)).finally(() => {
        out--;
        drain();
      });
    }
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      // The calls made during this turn of the event loop (answers that arrived together) join.
      if (!scheduled && out < inFlight) {
        scheduled = true;
        setImmediate(drain);
      }
    });
}
