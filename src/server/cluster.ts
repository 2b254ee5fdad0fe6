import cluster, { type Worker } from 'node:cluster';
import type { DifyctlError } from '../errors/index.js';
import { reportedError, serverStartFailed } from './errors.js';
import { isWorkerMessage, type PrimaryMessage } from './ipc.js';
import type { Logger } from './logger.js';
import { delay, onShutdownSignals } from './signals.js';
import { stopGraceSeconds } from '../config/derived.js';

export interface PrimaryOptions {
  /** api processes to keep running. */
  workers: number;
  /** GUNICORN_TIMEOUT: a process whose event loop has not answered for longer is killed and replaced. */
  timeoutSeconds: number;
  logger: Logger;
  /** How long a shutdown waits for processes to drain before killing them. @default min(GUNICORN_TIMEOUT, 30) s */
  gracefulSeconds?: number;
}

/**
 * The young generation of each api process, in MB per semi-space (V8's default is 16). A request in
 * flight holds its prompt, the provider's answer and the SDK's objects across several turns; with
 * dozens in flight, a 16 MB nursery fills every ~150 ms and each scavenge copies what is still
 * live. 32 MB halves the scavenges and cut the api processes' GC time by about a third in
 * bench/service-api.mjs (bench/service-api.md), for at most 48 MB more per process.
 */
export const API_SEMI_SPACE_MB = 32;

/**
 * The Node flags api processes are forked with: the primary's own, plus the young generation
 * above unless the user chose one (`--max-semi-space-size` in the flags or in NODE_OPTIONS).
 */
export function apiProcessExecArgv(execArgv: readonly string[], nodeOptions = ''): string[] {
  const chosen = [...execArgv, ...nodeOptions.split(/\s+/)].some((flag) =>
    /^--max[-_]semi[-_]space[-_]size(=|$)/.test(flag),
  );
  return chosen ? [...execArgv] : [...execArgv, `--max-semi-space-size=${API_SEMI_SPACE_MB}`];
}

interface Tracked {
  worker: Worker;
  ready: boolean;
  startedAt: number;
  lastPong: number;
}

/**
 * The gunicorn-style arbiter: forks the api processes, replaces one that crashes or whose event
 * loop stops answering the heartbeat for longer than the timeout, and on SIGTERM/SIGINT asks each
 * to drain, waits (bounded), and resolves so the command exits 0. A process that fails while
 * starting (bad config, port taken) stops the whole server with its error instead of a respawn loop.
 */
export function runPrimary(options: PrimaryOptions): Promise<void> {
  const { logger } = options;
  const timeoutMs = options.timeoutSeconds * 1000;
  const intervalMs = Math.min(Math.max(Math.floor(timeoutMs / 4), 100), 5000);
  const startupMs = Math.max(timeoutMs, 60_000);
  const gracefulMs = (options.gracefulSeconds ?? stopGraceSeconds({ GUNICORN_TIMEOUT: options.timeoutSeconds })) * 1000;
  const tracked = new Map<number, Tracked>();
  let shuttingDown = false;
  let seq = 0;
  /** Processes in a row that died before ever serving: a crash loop, not a one-off crash. */
  let earlyDeaths = 0;
  const MAX_EARLY_DEATHS = 5;

  cluster.setupPrimary({ execArgv: apiProcessExecArgv(process.execArgv, process.env.NODE_OPTIONS) });
  return new Promise<void>((resolve, reject) => {
    const fork = (): void => {
      const worker = cluster.fork();
      const entry: Tracked = { worker, ready: false, startedAt: Date.now(), lastPong: Date.now() };
      tracked.set(worker.id, entry);
      // The child process's 'error' (an IPC or kill failure) is re-emitted here: unheard, it would end the primary.
      worker.on('error', (error: Error) =>
        logger.warn({ worker: worker.process.pid, err: error.message }, 'api process error'),
      );
      worker.on('message', (message: unknown) => {
        if (!isWorkerMessage(message)) return;
        if (message.difyctl === 'pong') entry.lastPong = Date.now();
        if (message.difyctl === 'ready') {
          entry.ready = true;
          earlyDeaths = 0;
          entry.lastPong = Date.now();
          logger.info({ worker: worker.process.pid }, 'api process ready');
        }
        if (message.difyctl === 'fatal') {
          fail(reportedError(message.error));
        }
      });
      worker.on('exit', (code, signal) => {
        tracked.delete(worker.id);
        if (shuttingDown) {
          if (tracked.size === 0) finish();
          return;
        }
        if (!entry.ready && ++earlyDeaths >= MAX_EARLY_DEATHS) {
          fail(
            serverStartFailed(
              `${MAX_EARLY_DEATHS} api processes in a row exited before serving (last: code ${code}, signal ${signal})`,
              { hint: 'Run with LOG_LEVEL=DEBUG and read the lines above for the cause.' },
            ),
          );
          return;
        }
        logger.warn({ worker: worker.process.pid, code, signal }, 'api process exited: starting a replacement');
        fork();
      });
    };

    const send = (t: Tracked, message: PrimaryMessage): void => {
      if (t.worker.isConnected()) t.worker.send(message, undefined, () => {});
    };

    const heartbeat = setInterval(() => {
      const now = Date.now();
      seq += 1;
      for (const t of tracked.values()) {
        // While draining, every process has been told (or signalled) already: no pings, no kills.
        if (shuttingDown) continue;
        const silentFor = now - t.lastPong;
        const limit = t.ready ? timeoutMs : startupMs;
        if (silentFor > limit) {
          logger.error(
            { worker: t.worker.process.pid, silentMs: silentFor },
            `api process did not answer for longer than GUNICORN_TIMEOUT (${options.timeoutSeconds} s): killing it`,
          );
          t.worker.process.kill('SIGKILL');
          continue;
        }
        send(t, { difyctl: 'ping', seq });
      }
    }, intervalMs);

    let removeSignals = (): void => {};
    const cleanup = (): void => {
      clearInterval(heartbeat);
      removeSignals();
    };
    const finish = (): void => {
      cleanup();
      logger.info('api server stopped');
      resolve();
    };
    const killAll = (): void => {
      for (const t of tracked.values()) t.worker.process.kill('SIGKILL');
    };
    const fail = (error: DifyctlError): void => {
      if (shuttingDown) return;
      shuttingDown = true;
      cleanup();
      killAll();
      reject(error);
    };
    const shutdown = async (signal: string): Promise<void> => {
      if (shuttingDown) return;
      shuttingDown = true;
      logger.info({ signal, workers: tracked.size }, 'stopping: draining in-flight requests');
      if (tracked.size === 0) return finish();
      // A process still loading serves nothing to drain, and may not hear a message until its modules
      // have loaded (seconds on a busy machine): it gets SIGTERM, which ends it at once at any stage.
      for (const t of tracked.values())
        if (t.ready) send(t, { difyctl: 'shutdown' });
        else t.worker.process.kill('SIGTERM');
      // The exit handler resolves once the last process is gone; this only bounds the wait.
      await delay(gracefulMs);
      if (tracked.size > 0) {
        logger.warn({ workers: tracked.size }, 'graceful shutdown timed out: killing the remaining processes');
        killAll();
      }
    };
    removeSignals = onShutdownSignals({ onStop: (signal) => void shutdown(signal), onForce: () => killAll() });
    for (let i = 0; i < options.workers; i++) fork();
  });
}
