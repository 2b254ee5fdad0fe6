import pg from 'pg';
import type { Logger } from '../logger.js';

/** The channel migration 0009's triggers notify on; payloads are `<topic>:<key>` (`*` = every key). */
export const CHANGES_CHANNEL = 'difyctl_changes';
const RETRY_MS = { first: 250, max: 5000 };

/** Told which key of a topic changed; `'*'` when anything may have (a TRUNCATE, or the feed was down). */
export type ChangeListener = (key: string) => void;

/**
 * One LISTEN connection per process that tells per-process caches what another process changed.
 * While it is not listening (not yet connected, connection lost, database away) `live` is false and
 * caches must not serve what they hold; on every (re)connect each listener hears `'*'`, since
 * notifications sent while it was away are lost. Caches keep a short time-to-live besides: a
 * connection that died without the socket noticing cannot keep an answer stale for long.
 */
export class ChangeFeed {
  #client: pg.Client | undefined;
  #live = false;
  #closed = false;
  #retryMs = RETRY_MS.first;
  #timer: NodeJS.Timeout | undefined;
  readonly #listeners = new Map<string, Set<ChangeListener>>();

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly logger?: Logger,
  ) {}

  /** Whether changes made elsewhere are being heard right now. */
  get live(): boolean {
    return this.#live;
  }

  /** Calls `listener` with the key of each change of `topic`; returns the unsubscribe. */
  on(topic: string, listener: ChangeListener): () => void {
    let set = this.#listeners.get(topic);
    if (!set) this.#listeners.set(topic, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Connects and LISTENs; resolves once listening or once the first attempt failed (it retries on its own). */
  async start(): Promise<void> {
    if (this.#closed || this.#client) return;
    // A pool's options hold the password as a non-enumerable property: a spread alone would drop it.
    const { password } = this.config;
    const client = new pg.Client({ ...this.config, password, application_name: 'difyctl-changes' });
    this.#client = client;
    client.on('notification', (n) => {
      if (n.channel === CHANGES_CHANNEL && n.payload) this.#dispatch(n.payload);
    });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      this.#lost(client, error);
      return;
    }
    if (this.#client !== client) return;
    this.#live = true;
    this.#retryMs = RETRY_MS.first;
    this.#everything();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#live = false;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  #dispatch(payload: string): void {
    const colon = payload.indexOf(':');
    const topic = colon < 0 ? payload : payload.slice(0, colon);
    const key = colon < 0 ? '*' : payload.slice(colon + 1);
    for (const listener of this.#listeners.get(topic) ?? []) listener(key);
  }

  #everything(): void {
    for (const set of this.#listeners.values()) for (const listener of set) listener('*');
  }

  #lost(client: pg.Client, error?: unknown): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    const wasLive = this.#live;
    this.#live = false;
    client.end().catch(() => {});
    if (this.#closed) return;
    if (wasLive) {
      this.logger?.warn({ err: error instanceof Error ? error.message : undefined }, 'change feed lost; retrying');
      this.#everything();
    }
    this.#timer = setTimeout(() => void this.start(), this.#retryMs);
    this.#timer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MS.max);
  }
}
