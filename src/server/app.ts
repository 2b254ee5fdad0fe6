import path from 'node:path';
import type pg from 'pg';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Settings } from '../config/schema.js';
import type { VectorStore } from '../knowledge/index.js';
import { createModelRuntime, type ModelRuntimeService } from '../model-runtime/index.js';
import type { AppContext } from './context.js';
import { createPool } from './db.js';
import { createHealthCheck } from './health-check.js';
import { healthFirst } from './health-first.js';
import { registerAuth } from './hooks/auth.js';
import { registerConcurrencyLimit } from './hooks/concurrency.js';
import { frameworkErrors, registerErrorHandlers } from './hooks/error-handler.js';
import { DEFAULT_BODY_LIMIT, registerRequestGuard } from './hooks/request-guard.js';
import {
  clientErrorHandler,
  registerRequestDeadline,
  requestTimeoutOptions,
  type RequestTimeouts,
} from './hooks/request-timeouts.js';
import { registerVersionHeaders } from './hooks/version-headers.js';
import { silentLogger, type Logger } from './logger.js';
import { loadMiddleware, registerMiddleware } from './middleware.js';
import { registerRoutes } from './routes/index.js';
import type { ServiceRoutes } from './routes/service-api/index.js';
import { initSentry } from './sentry.js';
import { findAccount } from './services/accounts.js';
import { createAppKeyResolver } from './services/api-keys.js';
import { createAppListCache } from './services/app-list-cache.js';
import { createTokenService } from './services/auth-tokens.js';
import { createFileStorage } from './services/file-storage.js';
import { createSessionCheck } from './services/session-check.js';
import { ChangeFeed } from './store/change-feed.js';
import { openBackends, type Backends } from './store/index.js';
import type { RateLimitOptions } from './store/types.js';
import { trustedProxy } from './trust-proxy.js';
import { describeVectorStore, openVectorStore, type OpenVectorStore } from './vector.js';
import { serverVersion } from './version.js';

export interface AppDeps {
  settings: Settings;
  /** false: PostgreSQL carries every Redis duty. @default true */
  redisEnabled?: boolean;
  logger?: Logger;
  /** An existing pool (its owner closes it); by default one is made from DB_* and SQLALCHEMY_*. */
  pool?: pg.Pool;
  /** Existing store and queue; by default Redis or the PostgreSQL fallback. */
  backends?: Backends;
  /** Where relative CUSTOM_MIDDLEWARE_MODULE and PROVIDER_PLUGINS_DIR resolve. @default process.cwd() */
  baseDir?: string;
  /** @default 20 logins per client address per 60 s */
  loginRateLimit?: Omit<RateLimitOptions, 'prefix'>;
  /** @default 1 MiB */
  bodyLimit?: number;
  /** A model runtime to use (e.g. with short timeouts in tests); by default one over `pool`. */
  modelRuntime?: ModelRuntimeService;
  /** Service API routes (`/v1`) added by later work. */
  serviceRoutes?: ServiceRoutes[];
  /** How long reading a request's headers, and the whole request, may take (408 after). */
  requestTimeouts?: RequestTimeouts;
  /** How long "this token's account and workspace still stand" is reused. @default 3000 ms */
  sessionCheckTtlMs?: number;
  /** How long an app list page is reused when no change of its workspace is heard. @default 3000 ms */
  appListTtlMs?: number;
}

export interface RouteEntry {
  method: string;
  url: string;
  auth: 'console' | 'app-key' | 'dataset-key' | 'none';
}

/** The app, its shared context, and its route table (for tests and docs). */
export type DifyApp = FastifyInstance & { difyctx: AppContext; routeTable: RouteEntry[] };

/**
 * Builds the API server without listening (tests use `app.inject`), in the seed's order:
 * settings → database pool → cache/store → vector store → routes → error handlers → hooks.
 * (Fastify applies hooks to routes registered later in the same boot, so hooks are added before
 * the route plugins load; the order of the steps above is the order of their construction.)
 * Closing the app closes what it created.
 */
export async function createApp(deps: AppDeps): Promise<DifyApp> {
  const { settings } = deps;
  const logger = deps.logger ?? silentLogger();
  const pool = deps.pool ?? createPool({ settings, logger });
  let backends: Backends | undefined = deps.backends;
  let vectors: OpenVectorStore | undefined;
  const changes = new ChangeFeed(pool.options, logger);
  // What this call opened, it closes: on app.close(), or at once when building fails half-way.
  const release = async (): Promise<void> => {
    await changes.close();
    if (!deps.backends && backends) await Promise.allSettled([backends.queue.close(5000), backends.store.close()]);
    await vectors?.close().catch(() => {});
    if (!deps.pool) await pool.end().catch(() => {});
  };
  try {
    backends ??= await openBackends({ settings, redisEnabled: deps.redisEnabled ?? true, pool, logger });
    const vector = describeVectorStore(settings);
    logger.debug({ vector }, 'vector store');
    vectors = openVectorStore(settings, pool);
    // The LISTEN connection logs in while the model runtime loads (until it listens, caches read through).
    const [ctx] = await Promise.all([
      buildContext({ deps, logger, pool, backends, vectors: vectors.store, changes }),
      changes.start(),
    ]);
    const app = await buildServer(deps, ctx);
    app.addHook('onClose', release);
    return app;
  } catch (error) {
    await release();
    throw error;
  }
}

async function buildContext(input: {
  deps: AppDeps;
  logger: Logger;
  pool: pg.Pool;
  backends: Backends;
  vectors: VectorStore;
  changes: ChangeFeed;
}): Promise<AppContext> {
  const { deps, logger, pool, backends, vectors, changes } = input;
  const appKeys = createAppKeyResolver({ pool });
  changes.on('apps', () => appKeys.clear());
  const { settings } = deps;
  // Built-in providers plus PROVIDER_PLUGINS_DIR plugins (a broken plugin is logged and skipped).
  const modelRuntime =
    deps.modelRuntime ??
    (await createModelRuntime({
      pool,
      secretKey: settings.SECRET_KEY,
      pluginsDir: path.resolve(deps.baseDir ?? process.cwd(), settings.PROVIDER_PLUGINS_DIR),
      logger,
    }));
  return {
    settings,
    version: serverVersion(),
    logger,
    pool,
    store: backends.store,
    queue: backends.queue,
    tokens: createTokenService({
      secretKey: settings.SECRET_KEY,
      kv: backends.store.kv,
      // A refresh renews only an account that is still active, in its current workspace.
      currentClaims: async ({ accountId }) => {
        const account = await findAccount(pool, accountId);
        return account && { accountId: account.id, tenantId: account.tenantId };
      },
      // An access token stops working within seconds once its account or workspace is gone or banned.
      stillValid: createSessionCheck({ pool, ttlMs: deps.sessionCheckTtlMs }),
    }),
    appKeys,
    appLists: createAppListCache({ feed: changes, ttlMs: deps.appListTtlMs }),
    changes,
    health: createHealthCheck({ pool, pingRedis: backends.pingRedis }),
    modelRuntime,
    loginLimiter: backends.store.rateLimiter({
      prefix: 'login',
      ...(deps.loginRateLimit ?? { points: 20, durationSeconds: 60 }),
    }),
    storage: createFileStorage(settings, deps.baseDir ?? process.cwd()),
    vectors,
  };
}

async function buildServer(deps: AppDeps, ctx: AppContext): Promise<DifyApp> {
  const { settings, logger, version } = ctx;
  const middlewareModule = settings.CUSTOM_MIDDLEWARE_ENABLED ? settings.CUSTOM_MIDDLEWARE_MODULE : '';
  // The DEBUG request log, custom middleware and compression see every request: /health included.
  const requestLog = logger.isLevelEnabled('debug');
  let closing = false;
  const everyRequestHooked = requestLog || Boolean(middlewareModule) || settings.ENABLE_RESPONSE_COMPRESSION;
  const app: FastifyInstance = Fastify({
    // GET /health is answered by the server before routing, unless a hook must see it.
    ...(everyRequestHooked
      ? {}
      : {
          serverFactory: healthFirst({ health: ctx.health, version, env: settings.DEPLOY_ENV, closing: () => closing }),
        }),
    // pino 10's Logger is fastify's logger; only the generic parameters of the types differ.
    loggerInstance: logger as FastifyBaseLogger,
    // One debug line per request (onResponse below) instead of fastify's two info lines.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // A request that takes longer than GUNICORN_TIMEOUT is cut, as gunicorn's worker timeout does
    // (with a JSON answer: registerRequestDeadline).
    connectionTimeout: settings.GUNICORN_TIMEOUT * 1000,
    // Reading headers and body is bounded on its own: a slow body is a 408, not a held process.
    ...requestTimeoutOptions(deps.requestTimeouts),
    clientErrorHandler: clientErrorHandler({ version, env: settings.DEPLOY_ENV }),
    forceCloseConnections: 'idle',
    // X-Forwarded-For: only with RESPECT_XFORWARD_HEADERS_ENABLED, one hop, from FORWARDED_ALLOW_IPS.
    trustProxy: trustedProxy({
      enabled: settings.RESPECT_XFORWARD_HEADERS_ENABLED,
      allowIps: settings.FORWARDED_ALLOW_IPS,
    }),
    // Undecodable URLs and over-long path parameters are answered before routing: as Dify errors too.
    frameworkErrors: frameworkErrors({ version, env: settings.DEPLOY_ENV }),
  });
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  registerRequestDeadline(app, { timeoutSeconds: settings.GUNICORN_TIMEOUT });
  registerConcurrencyLimit(app, settings.SERVER_WORKER_CONNECTIONS);
  const captureError = await initSentry({
    dsn: settings.SENTRY_DSN,
    tracesSampleRate: settings.SENTRY_TRACES_SAMPLE_RATE,
    environment: settings.DEPLOY_ENV,
    release: version,
    logger,
  });
  if (middlewareModule) {
    registerMiddleware(app, {
      middleware: await loadMiddleware({
        module: middlewareModule,
        baseDir: deps.baseDir ?? process.cwd(),
      }),
      logger,
    });
  }
  const routeTable = collectRoutes(app);
  registerVersionHeaders(app, { version, env: settings.DEPLOY_ENV });
  registerRequestGuard(app);
  registerAuth(app, ctx);
  // The level is fixed at start (LOG_LEVEL): below debug, requests carry no hook at all.
  if (requestLog) {
    app.addHook('onResponse', (request, reply, done) => {
      logger.debug(
        { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        'request',
      );
      done();
    });
  }
  if (settings.ENABLE_RESPONSE_COMPRESSION) {
    const { default: compress } = await import('@fastify/compress');
    await app.register(compress, { global: true });
  }
  // Error handlers are encapsulated like hooks: set them before the route plugins are registered.
  registerErrorHandlers(app, { logger, onServerError: captureError });
  await registerRoutes(app, ctx, { serviceRoutes: deps.serviceRoutes });
  return Object.assign(app, { difyctx: ctx, routeTable });
}

function collectRoutes(app: FastifyInstance): RouteEntry[] {
  const routeTable: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // Read lazily: a scope's own onRoute hook (the /v1 scope) may set config.auth after this one.
    const auth = (): RouteEntry['auth'] =>
      (route.config as { auth?: RouteEntry['auth'] } | undefined)?.auth ?? 'console';
    for (const method of methods)
      routeTable.push({
        method,
        url: route.url,
        get auth() {
          return auth();
        },
      });
  });
  return routeTable;
}
