import { randomInt } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../db.js';
import { badRequest, notFound } from '../http-error.js';
import { sameDigest, sha256 } from './auth-tokens.js';
import { createPromiseCache } from '../../cache/promise-cache.js';
import { unixSeconds } from './unix-time.js';

/** Dify allows 10 keys per app. */
export const MAX_KEYS_PER_APP = 10;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `app-` + 24 random base62 characters, as Dify's keys look. */
export function generateKey(prefix = 'app-'): string {
  let key = prefix;
  for (let i = 0; i < 24; i++) key += ALPHABET[randomInt(ALPHABET.length)];
  return key;
}

export interface KeyRow {
  id: string;
  type: string;
  token_prefix: string;
  last_used_at: Date | null;
  created_at: Date;
}

/** A key as Dify's console lists it: its prefix only, never the key. */
export const keyJson = (r: KeyRow) => ({
  id: r.id,
  type: r.type,
  token: `${r.token_prefix}…`,
  last_used_at: unixSeconds(r.last_used_at),
  created_at: unixSeconds(r.created_at),
});

export async function listKeys(pool: pg.Pool, input: { tenantId: string; appId: string }) {
  const { rows } = await pool.query<KeyRow>(
    `SELECT id, type, token_prefix, last_used_at, created_at FROM api_tokens WHERE app_id = $1 AND tenant_id = $2 AND type = 'app' ORDER BY created_at`,
    [input.appId, input.tenantId],
  );
  return { data: rows.map(keyJson) };
}

/**
 * A new key: only its sha256 and first characters are stored; the full key is returned this once.
 * The app row is locked while counting, so concurrent requests cannot pass MAX_KEYS_PER_APP.
 * @throws HttpError 404 when the app is not in the workspace, 400 when it has its maximum of keys
 */
export async function createKey(pool: pg.Pool, input: { tenantId: string; appId: string }) {
  return inTransaction(pool, async (client) => {
    const app = await client.query(
      `SELECT 1 FROM apps WHERE id = $1 AND tenant_id = $2 AND status = 'normal' FOR UPDATE`,
      [input.appId, input.tenantId],
    );
    if (!app.rowCount) throw notFound('App not found.', 'app_not_found');
    const { rows: count } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM api_tokens WHERE app_id = $1 AND type = 'app'`,
      [input.appId],
    );
    if (Number(count[0]?.n ?? 0) >= MAX_KEYS_PER_APP)
      throw badRequest(`An app can have at most ${MAX_KEYS_PER_APP} API keys.`, 'max_keys_exceeded');
    const token = generateKey();
    const { rows } = await client.query<KeyRow>(
      `INSERT INTO api_tokens (app_id, tenant_id, type, token_hash, token_prefix) VALUES ($1, $2, 'app', $3, $4)
       RETURNING id, type, token_prefix, last_used_at, created_at`,
      [input.appId, input.tenantId, sha256(token), token.slice(0, 8)],
    );
    return { ...keyJson(rows[0]!), token };
  });
}

export async function deleteKey(
  pool: pg.Pool,
  input: { tenantId: string; appId: string; keyId: string },
): Promise<void> {
  const result = await pool.query(`DELETE FROM api_tokens WHERE id = $1 AND app_id = $2 AND tenant_id = $3`, [
    input.keyId,
    input.appId,
    input.tenantId,
  ]);
  if (result.rowCount !== 1) throw notFound('API key not found.', 'api_key_not_found');
}

export interface AppKeyOwner {
  appId: string;
  tenantId: string;
  keyId: string;
  /** The app's service API requests per minute per key; 0 = unlimited. */
  apiRpm: number;
  /** The app's service API requests per hour per key; 0 = unlimited. */
  apiRph: number;
  /** The app's mode (`chat`, `completion`…): routes answer `not_chat_app` & co. without a query. */
  appMode: string;
}

/** The app behind a service API key, or null. Lookup by digest, then a constant-time comparison. */
export async function resolveAppKey(pool: pg.Pool, token: string): Promise<AppKeyOwner | null> {
  const digest = sha256(token);
  const { rows } = await pool.query<{
    id: string;
    app_id: string;
    tenant_id: string;
    token_hash: string;
    api_rpm: number;
    api_rph: number;
    mode: string;
  }>({
    name: 'api-keys.resolve-app',
    text: `SELECT t.id, t.app_id, t.tenant_id, t.token_hash, a.api_rpm, a.api_rph, a.mode FROM api_tokens t JOIN apps a ON a.id = t.app_id
            WHERE t.token_hash = $1 AND t.type = 'app' AND a.status = 'normal' AND a.enable_api`,
    values: [digest],
  });
  const row = rows[0];
  if (!row || !sameDigest(row.token_hash, digest)) return null;
  touchLastUsed(pool, row.id);
  return {
    appId: row.app_id,
    tenantId: row.tenant_id,
    keyId: row.id,
    apiRpm: row.api_rpm,
    apiRph: row.api_rph,
    appMode: row.mode,
  };
}

/**
 * How long a process reuses what a key resolved to. @default 3000 ms: a deleted key, a disabled API
 * or a changed rate limit takes effect within seconds everywhere, and a key under load costs one
 * query per process per window instead of one per request (the service API's hot path).
 */
export const APP_KEY_CACHE_TTL_MS = 3000;
const MAX_CACHED_KEYS = 10_000;

/** resolveAppKey with a short per-process cache (answers, positive and negative; failures are not kept). */
export interface AppKeyResolver {
  (token: string): Promise<AppKeyOwner | null>;
  /** Forgets every cached answer of this process (a key deleted, an app changed or deleted here). */
  clear(): void;
}

export function createAppKeyResolver(options: { pool: pg.Pool; ttlMs?: number; now?: () => number }): AppKeyResolver {
  const cache = createPromiseCache<AppKeyOwner | null>({
    ttlMs: options.ttlMs ?? APP_KEY_CACHE_TTL_MS,
    max: MAX_CACHED_KEYS,
    now: options.now,
  });
  const resolve = (token: string) => cache.get(token, () => resolveAppKey(options.pool, token));
  return Object.assign(resolve, { clear: () => cache.clear() });
}

/**
 * Records a key's use, at most once a minute (Dify batches these too): a key under load would
 * otherwise queue every request behind the row lock and commit of the one before. Not awaited.
 */
export function touchLastUsed(pool: pg.Pool, keyId: string): void {
  pool
    .query(
      `UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [keyId],
    )
    .catch(() => {});
}
