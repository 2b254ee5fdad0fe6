import type pg from 'pg';
import type { Settings } from '../config/schema.js';
import type { HealthReport } from './health-check.js';
import type { FileStorage } from './services/file-storage.js';
import type { Logger } from './logger.js';
import type { ModelRuntimeService } from '../model-runtime/index.js';
import type { AppKeyResolver } from './services/api-keys.js';
import type { AppListCache } from './services/app-list-cache.js';
import type { TokenService } from './services/auth-tokens.js';
import type { ChangeFeed } from './store/change-feed.js';
import type { TaskQueue } from './store/queue.js';
import type { RateLimiter, Store } from './store/types.js';
import type { VectorStore } from '../knowledge/index.js';

/** Who a request acts as, set by the auth hook. */
export type RequestAuth =
  | { kind: 'account'; accountId: string; tenantId: string }
  | { kind: 'app'; appId: string; tenantId: string; keyId: string; apiRpm: number; apiRph: number; appMode: string }
  | { kind: 'dataset'; tenantId: string; keyId: string };

/** How a route authenticates: console JWT (default), a service API key, a knowledge API key (`dataset-…`), or none (public). */
export type RouteAuth = 'console' | 'app-key' | 'dataset-key' | 'none';

declare module 'fastify' {
  interface FastifyRequest {
    auth?: RequestAuth;
  }
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
}

/** What routes and hooks share: built once by createApp. */
export interface AppContext {
  settings: Settings;
  version: string;
  logger: Logger;
  pool: pg.Pool;
  store: Store;
  queue: TaskQueue;
  tokens: TokenService;
  /** The app behind a service API key (cached per process for a few seconds; `clear()` after changes). */
  appKeys: AppKeyResolver;
  /** Serialized app list pages per workspace, dropped on any write to `apps` (change feed, migration 0009). */
  appLists: AppListCache;
  /** What other processes changed (LISTEN difyctl_changes): per-process caches subscribe to it. */
  changes: ChangeFeed;
  health: () => Promise<HealthReport>;
  /** Model providers (built-in and PROVIDER_PLUGINS_DIR plugins), credentials, model calls. */
  modelRuntime: ModelRuntimeService;
  loginLimiter: RateLimiter;
  /** Uploaded files (STORAGE_TYPE / OPENDAL_FS_ROOT / STORAGE_LOCAL_PATH under the project). */
  storage: FileStorage;
  /** The vector store VECTOR_STORE names (src/server/vector.ts), one per process. */
  vectors: VectorStore;
}
