import { isDifyctlError } from '../errors/index.js';
import { createApp, type AppDeps } from './app.js';
import { checkDbLogin, createPool } from './db.js';
import { isPrimaryMessage, type WorkerMessage } from './ipc.js';
import { createLogger } from './logger.js';
import { startReadyMarker } from './ready-marker.js';
import type { ServerSettings } from './settings.js';
import { delay } from './signals.js';
import { stopGraceMs } from '../config/derived.js';

export interface ApiProcessOptions {
  server: ServerSettings;
  /** Where relative CUSTOM_MIDDLEWARE_MODULE and PROVIDER_PLUGINS_DIR resolve. */
  baseDir: string;
  extraDeps?: Partial<AppDeps>;
}

/** Resolves once the message is handed to the IPC channel (so an exit right after cannot drop it). */
const send = (message: WorkerMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });

/**
 * One api process (a cluster worker): builds the app (which serves at most
 * SERVER_WORKER_CONNECTIONS requests at once), listens, keeps the ready marker, answers the primary's heartbeat
 * from its event loop, and on `shutdown` (or SIGTERM/SIGINT, or losing the primary) stops
 * accepting, finishes in-flight requests and exits 0.
 */
export async function runApiProcess(options: ApiProcessOptions): Promise<never> {
  const { settings } = options.server;
  const logger = createLogger({ settings, base: { mode: 'api' } });
  // Answer heartbeats from the first moment: a process busy starting still has a live loop.
  process.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    if (message.difyctl === 'ping') void send({ difyctl: 'pong', seq: message.seq });
    if (message.difyctl === 'shutdown') void stop('primary');
  });
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  let stopMarker = (): void => {};
  let stopping = false;
  const stop = async (why: string): Promise<never> => {
    if (!stopping) {
      stopping = true;
      logger.info({ why }, 'api process stopping: draining in-flight requests');
      stopMarker();
      const graceMs = stopGraceMs(settings);
      // close() ends connections idle at that moment; a keep-alive connection whose request finishes
      // later would otherwise hold the process until its keep-alive timeout.
      const sweep = setInterval(() => app?.server.closeIdleConnections(), 100);
      await Promise.race([app?.close(), delay(graceMs)]);
      clearInterval(sweep);
      logger.flush?.();
      process.exit(0);
    }
    return new Promise<never>(() => {});
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Ctrl-C reaches the whole process group: the primary orchestrates, workers wait for it.
  process.on('SIGINT', () => (process.send ? undefined : void stop('SIGINT')));
  process.on('disconnect', () => void stop('primary gone'));
  try {
    // Before the app exists: a `shutdown` that arrives meanwhile ends the process at once.
    const loginPool = createPool({ settings, logger, applicationName: 'difyctl-api' });
    await checkDbLogin(loginPool, settings).finally(() => void loginPool.end().catch(() => {}));
    app = await createApp({
      settings,
      redisEnabled: options.server.redisEnabled,
      logger,
      baseDir: options.baseDir,
      ...options.extraDeps,
    });
    const address = await app.listen({ host: settings.DIFY_BIND_ADDRESS, port: settings.DIFY_PORT });
    stopMarker = startReadyMarker({ kv: app.difyctx.store.kv, logger });
    logger.info(
      { address, connections: settings.SERVER_WORKER_CONNECTIONS, store: app.difyctx.store.kind },
      'api process listening',
    );
    await send({ difyctl: 'ready', address });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const message =
      e.code === 'EADDRINUSE'
        ? `DIFY_PORT ${settings.DIFY_PORT} on ${settings.DIFY_BIND_ADDRESS} is already in use`
        : e.message;
    logger.fatal({ err: e }, 'api process failed to start');
    await send({
      difyctl: 'fatal',
      error: {
        code: isDifyctlError(error) ? error.code : e.code === 'EADDRINUSE' ? 'NET.ADDRESS_IN_USE' : undefined,
        message,
        hint: isDifyctlError(error) ? error.hint : undefined,
      },
    });
    await app?.close().catch(() => {});
    process.exit(1);
  }
  return new Promise<never>(() => {});
}
