import type { Logger } from './logger.js';

type Capture = (error: unknown) => void;

/**
 * Wires SENTRY_DSN when set: server errors are reported through `@sentry/node` if the user installed
 * it (it is an optional peer, not a dependency); otherwise a warning says how to enable it.
 */
export async function initSentry(options: {
  dsn?: string;
  tracesSampleRate: number;
  environment: string;
  release: string;
  logger: Logger;
}): Promise<Capture | undefined> {
  if (!options.dsn) return undefined;
  const moduleName = '@sentry/node';
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
    const sentry = (await import(moduleName)) as {
      init(o: Record<string, unknown>): void;
      captureException(e: unknown): void;
    };
    sentry.init({
      dsn: options.dsn,
      tracesSampleRate: options.tracesSampleRate,
      environment: options.environment,
      release: options.release,
    });
    options.logger.info('Sentry error reporting enabled');
    return (error) => sentry.captureException(error);
  } catch {
    options.logger.warn(
      'SENTRY_DSN is set but @sentry/node is not installed: run `npm install @sentry/node` next to difyctl to report errors',
    );
    return undefined;
  }
}
