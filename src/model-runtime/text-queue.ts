/**
 * A single-consumer async queue of text deltas: the producer (the provider stream) never waits for
 * the consumer, so a caller that only awaits the result still gets the whole answer, and one that
 * iterates sees every delta (buffered ones first). Iterating twice is not supported.
 */
export interface TextQueue {
  push(text: string): void;
  end(): void;
  fail(error: unknown): void;
  iterable: AsyncIterable<string>;
}

export function createTextQueue(): TextQueue {
  const buffer: string[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  async function* iterate(): AsyncGenerator<string> {
    for (;;) {
      if (buffer.length) {
        yield buffer.shift() as string; // length checked above
        continue;
      }
      if (failure) throw failure.error;
      if (done) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  return {
    push: (text) => {
      buffer.push(text);
      notify();
    },
    end: () => {
      done = true;
      notify();
    },
    fail: (error) => {
      failure = { error };
      notify();
    },
    iterable: { [Symbol.asyncIterator]: iterate },
  };
}
