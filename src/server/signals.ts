/**
 * Calls `onStop` once on the first SIGTERM or SIGINT (graceful), and `onForce` on a second one
 * (an impatient Ctrl-C Ctrl-C): stop waiting, exit now.
 * @returns a function that removes the handlers
 */
export function onShutdownSignals(options: {
  onStop: (signal: NodeJS.Signals) => void;
  onForce?: (signal: NodeJS.Signals) => void;
}): () => void {
  let received = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (received) {
      options.onForce?.(signal);
      return;
    }
    received = true;
    options.onStop(signal);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.removeListener('SIGTERM', handler);
    process.removeListener('SIGINT', handler);
  };
}

/** Resolves after `ms`, or rejects… never: a bound for graceful waits. */
export function delay(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
}
