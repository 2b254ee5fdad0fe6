/**
 * Preloaded (`node --import`) into the node processes a supervisor runs (`difyctl serve`). The
 * supervisor holds a pipe on their stdin and never writes to it; when the supervisor is gone —
 * Ctrl-C, `down`, or kill -9 of a foreground `up` — the pipe closes and the process stops
 * gracefully (SIGTERM: drain, then exit) instead of running on as an orphan nobody supervises.
 *
 * Only the process the supervisor started watches: the variable is removed here, before the api's
 * cluster workers fork (they inherit this preload, not the variable, and follow their primary).
 * Kept free of imports: it runs before the CLI in every such process.
 */
const WATCH = 'DIFYCTL_PARENT_PIPE';

/** Once the supervisor is gone nobody reads our output: a write must not end the drain with EPIPE. */
const ignoreBrokenPipe = (error: NodeJS.ErrnoException): void => {
  if (error.code !== 'EPIPE') throw error;
};
process.stdout.on('error', ignoreBrokenPipe);
process.stderr.on('error', ignoreBrokenPipe);

if (process.env[WATCH] === 'stdin') {
  delete process.env[WATCH];
  let gone = false;
  const parentGone = (): void => {
    if (gone) return;
    gone = true;
    process.kill(process.pid, 'SIGTERM');
  };
  // Nothing is ever sent: reading only to see the end. Unref'd, so it never keeps the process alive.
  process.stdin.on('data', () => undefined);
  process.stdin.once('end', parentGone);
  process.stdin.once('close', parentGone);
  process.stdin.once('error', parentGone);
  (process.stdin as NodeJS.ReadStream & { unref?: () => void }).unref?.(); // a pipe is a net.Socket (unref); a file or TTY is not
}

export {};
