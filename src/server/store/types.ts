/**
 * The Redis duties of the server (cache, rate-limit counters, refresh tokens, locks, the ready
 * marker, the task queue) behind small interfaces: Redis when configured, PostgreSQL otherwise.
 */
export interface KeyValueStore {
  readonly kind: 'redis' | 'postgres';
  get(key: string): Promise<string | null>;
  /** Which of `keys` are set, in one round trip (the stop-flag poller asks for all its tasks at once). */
  present(keys: string[]): Promise<Set<string>>;
  /** Sets a value; without `ttlSeconds` it never expires. */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Sets only when absent (or expired): the primitive of locks. @returns true when set */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Reads and deletes in one step: one-time tokens cannot be used twice. */
  take(key: string): Promise<string | null>;
  delete(key: string): Promise<void>;
  /** Deletes only while the key still holds `value` (a lock released by its owner). */
  deleteIfValue(key: string, value: string): Promise<boolean>;
  /** Throws when the backing server does not answer. */
  ping(): Promise<void>;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Seconds until the window resets (for `Retry-After`). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  consume(key: string): Promise<RateLimitResult>;
}

export interface RateLimitOptions {
  /** Counter namespace, e.g. `login`. */
  prefix: string;
  /** Requests allowed per window. */
  points: number;
  /** Window length in seconds. */
  durationSeconds: number;
}

export interface Store {
  readonly kind: 'redis' | 'postgres';
  kv: KeyValueStore;
  rateLimiter(options: RateLimitOptions): RateLimiter;
  close(): Promise<void>;
}
