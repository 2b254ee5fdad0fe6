import type pg from 'pg';
import { inTransaction } from '../db.js';
import { badRequest, notFound } from '../http-error.js';
import { generateKey, type KeyRow, keyJson, touchLastUsed } from './api-keys.js';
import { sameDigest, sha256 } from './auth-tokens.js';

/** Dify allows 10 knowledge API keys per workspace. */
export const MAX_DATASET_KEYS = 10;

export async function listDatasetKeys(pool: pg.Pool, tenantId: string) {
  const { rows } = await pool.query<KeyRow>(
    `SELECT id, type, token_prefix, last_used_at, created_at FROM api_tokens WHERE tenant_id = $1 AND type = 'dataset' ORDER BY created_at`,
    [tenantId],
  );
  return { data: rows.map(keyJson) };
}

/** A workspace-wide key (`dataset-` + 24 characters): stored as its sha256, returned in full this once. */
export async function createDatasetKey(pool: pg.Pool, tenantId: string) {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
    const { rows: count } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM api_tokens WHERE tenant_id = $1 AND type = 'dataset'`,
      [tenantId],
    );
    if (Number(count[0]?.n ?? 0) >= MAX_DATASET_KEYS)
      throw badRequest(
        `Cannot create more than ${MAX_DATASET_KEYS} API keys for this resource type.`,
        'max_keys_exceeded',
      );
    const token = generateKey('dataset-');
    const { rows } = await client.query<KeyRow>(
      `INSERT INTO api_tokens (app_id, tenant_id, type, token_hash, token_prefix) VALUES (NULL, $1, 'dataset', $2, $3) RETURNING id, type, token_prefix, last_used_at, created_at`,
      [tenantId, sha256(token), token.slice(0, 12)],
    );
    return { ...keyJson(rows[0]!), token };
  });
}

export async function deleteDatasetKey(pool: pg.Pool, tenantId: string, keyId: string): Promise<void> {
  const result = await pool.query(`DELETE FROM api_tokens WHERE id = $1 AND tenant_id = $2 AND type = 'dataset'`, [
    keyId,
    tenantId,
  ]);
  if (result.rowCount !== 1) throw notFound('API key not found.', 'api_key_not_found');
}

export interface DatasetKeyOwner {
  tenantId: string;
  keyId: string;
}

/** The workspace behind a knowledge API key, or null (looked up by digest, compared in constant time). */
export async function resolveDatasetKey(pool: pg.Pool, token: string): Promise<DatasetKeyOwner | null> {
  if (!token.startsWith('dataset-')) return null;
  const digest = sha256(token);
  const { rows } = await pool.query<{ id: string; tenant_id: string; token_hash: string }>(
    `SELECT t.id, t.tenant_id, t.token_hash FROM api_tokens t JOIN tenants w ON w.id = t.tenant_id WHERE t.token_hash = $1 AND t.type = 'dataset' AND w.status = 'normal'`,
    [digest],
  );
  const row = rows[0];
  if (!row || !sameDigest(row.token_hash, digest)) return null;
  touchLastUsed(pool, row.id);
  return { tenantId: row.tenant_id, keyId: row.id };
}
