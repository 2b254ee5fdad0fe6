/**
 * SQL for the provider tables of migration 0005 (Dify 1.x's layout). Every query is scoped by
 * tenant. `encrypted_config` is JSON text whose secret fields are already ciphertexts: this module
 * neither encrypts nor decrypts.
 */
import type pg from 'pg';
import { inTransaction } from '../db/transaction.js';

export interface CredentialRow {
  id: string;
  credential_name: string;
  encrypted_config: string;
}

export interface CustomModelRow {
  id: string;
  provider_name: string;
  model_name: string;
  model_type: string;
  credential_id: string | null;
  credential_name: string | null;
  encrypted_config: string | null;
}

export interface DefaultModelRow {
  provider_name: string;
  model_name: string;
  model_type: string;
}

/** Runs fn in one transaction on a pooled client. */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, () => fn(client));
  } finally {
    client.release();
  }
}

type Db = pg.Pool | pg.PoolClient;

/** The first row a query returns, if any. */
async function firstRow<R extends pg.QueryResultRow>(db: Db, text: string, params: unknown[]): Promise<R | undefined> {
  const { rows } = await db.query<R>(text, params);
  return rows[0];
}

// ── provider credentials ────────────────────────────────────────────────────────────────────────

export async function listProviderCredentials(
  db: Db,
  tenantId: string,
  provider?: string,
): Promise<Array<CredentialRow & { provider_name: string }>> {
  const { rows } = await db.query<CredentialRow & { provider_name: string }>(
    `SELECT id, provider_name, credential_name, encrypted_config FROM provider_credentials
     WHERE tenant_id = $1 AND ($2::text IS NULL OR provider_name = $2) ORDER BY created_at, id`,
    [tenantId, provider ?? null],
  );
  return rows;
}

/** The configured providers of a workspace: name → active credential id (null: none active). */
export async function providerRecords(
  db: Db,
  tenantId: string,
): Promise<Map<string, { credentialId: string | null; credentialName: string | null }>> {
  const { rows } = await db.query<{
    provider_name: string;
    credential_id: string | null;
    credential_name: string | null;
  }>(
    `SELECT p.provider_name, p.credential_id, c.credential_name FROM providers p LEFT JOIN provider_credentials c ON c.id = p.credential_id
     WHERE p.tenant_id = $1 AND p.provider_type = 'custom'`,
    [tenantId],
  );
  return new Map(
    rows.map((r) => [r.provider_name, { credentialId: r.credential_id, credentialName: r.credential_name }]),
  );
}

// ── custom models ───────────────────────────────────────────────────────────────────────────────

const CUSTOM_MODEL = `SELECT m.id, m.provider_name, m.model_name, m.model_type, m.credential_id, c.credential_name, c.encrypted_config
  FROM provider_models m LEFT JOIN provider_model_credentials c ON c.id = m.credential_id`;

export async function customModel(
  db: Db,
  tenantId: string,
  provider: string,
  model: string,
  originType: string,
): Promise<CustomModelRow | undefined> {
  return firstRow<CustomModelRow>(
    db,
    `${CUSTOM_MODEL} WHERE m.tenant_id = $1 AND m.provider_name = $2 AND m.model_name = $3 AND m.model_type = $4`,
    [tenantId, provider, model, originType],
  );
}

export async function listCustomModels(db: Db, tenantId: string, provider?: string): Promise<CustomModelRow[]> {
  const { rows } = await db.query<CustomModelRow>(
    `${CUSTOM_MODEL} WHERE m.tenant_id = $1 AND ($2::text IS NULL OR m.provider_name = $2) ORDER BY m.created_at, m.id`,
    [tenantId, provider ?? null],
  );
  return rows;
}

/** Removes a custom model and all its credentials. */
export async function deleteCustomModel(
  db: Db,
  input: { tenantId: string; provider: string; model: string; originType: string },
): Promise<number> {
  const params = [input.tenantId, input.provider, input.model, input.originType];
  const { rowCount } = await db.query(
    `DELETE FROM provider_models WHERE tenant_id = $1 AND provider_name = $2 AND model_name = $3 AND model_type = $4`,
    params,
  );
  await db.query(
    `DELETE FROM provider_model_credentials WHERE tenant_id = $1 AND provider_name = $2 AND model_name = $3 AND model_type = $4`,
    params,
  );
  return rowCount ?? 0;
}

// ── default models ──────────────────────────────────────────────────────────────────────────────

export async function defaultModelRow(
  db: Db,
  tenantId: string,
  originType: string,
): Promise<DefaultModelRow | undefined> {
  return firstRow<DefaultModelRow>(
    db,
    `SELECT provider_name, model_name, model_type FROM tenant_default_models WHERE tenant_id = $1 AND model_type = $2`,
    [tenantId, originType],
  );
}

export async function setDefaultModelRow(
  db: Db,
  input: { tenantId: string; provider: string; model: string; originType: string },
): Promise<void> {
  await db.query(
    `INSERT INTO tenant_default_models (tenant_id, provider_name, model_name, model_type) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, model_type) DO UPDATE SET provider_name = EXCLUDED.provider_name, model_name = EXCLUDED.model_name, updated_at = now()`,
    [input.tenantId, input.provider, input.model, input.originType],
  );
}
