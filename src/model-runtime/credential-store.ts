/**
 * Named credentials of one owner, in either of migration 0005's credential tables: a provider's
 * (`provider_credentials`, pointed at by its `providers` row) or one custom model's
 * (`provider_model_credentials`, pointed at by its `provider_models` row). The two kinds differ
 * only in their key columns (a `providers` row adds two constants to its unique key), so every
 * operation is written once over the owner's key.
 */
import type pg from 'pg';
import type { CredentialRow } from './store.js';

/** Whose credentials: a provider's, or (with model and its origin type) one custom model's. */
export type CredentialOwner =
  | { tenantId: string; provider: string; model?: undefined }
  | { tenantId: string; provider: string; model: string; originType: string };

type Db = pg.Pool | pg.PoolClient;

interface Key {
  /** The credential table and its key columns. */
  table: string;
  columns: string;
  where: string;
  params: unknown[];
  /**
   * The row that points at the active credential: its table, the columns of its unique key with
   * their values (a provider's row adds constants to the owner's key), and its WHERE.
   */
  pointer: { table: string; columns: string; values: string; where: string };
}

function keyOf(owner: CredentialOwner): Key {
  if (owner.model === undefined)
    return {
      table: 'provider_credentials',
      columns: 'tenant_id, provider_name',
      where: 'tenant_id = $1 AND provider_name = $2',
      params: [owner.tenantId, owner.provider],
      pointer: {
        table: 'providers',
        columns: 'tenant_id, provider_name, provider_type, quota_type',
        values: "$1, $2, 'custom', ''",
        where: "tenant_id = $1 AND provider_name = $2 AND provider_type = 'custom'",
      },
    };
  const columns = 'tenant_id, provider_name, model_name, model_type';
  const where = 'tenant_id = $1 AND provider_name = $2 AND model_name = $3 AND model_type = $4';
  return {
    table: 'provider_model_credentials',
    columns,
    where,
    params: [owner.tenantId, owner.provider, owner.model, owner.originType],
    pointer: { table: 'provider_models', columns, values: '$1, $2, $3, $4', where },
  };
}

/** `$n` for the parameter after the key's. */
const after = (key: Key, n: number): string => `$${key.params.length + n}`;

export async function listCredentials(db: Db, owner: CredentialOwner): Promise<CredentialRow[]> {
  const key = keyOf(owner);
  const { rows } = await db.query<CredentialRow>(
    `SELECT id, credential_name, encrypted_config FROM ${key.table} WHERE ${key.where} ORDER BY created_at, id`,
    key.params,
  );
  return rows;
}

export async function findCredential(db: Db, owner: CredentialOwner, id: string): Promise<CredentialRow | undefined> {
  const key = keyOf(owner);
  const { rows } = await db.query<CredentialRow>(
    `SELECT id, credential_name, encrypted_config FROM ${key.table} WHERE ${key.where} AND id = ${after(key, 1)}`,
    [...key.params, id],
  );
  return rows[0];
}

/** The credential the owner's row points at, if any. */
export async function activeCredential(db: Db, owner: CredentialOwner): Promise<CredentialRow | undefined> {
  const key = keyOf(owner);
  const { rows } = await db.query<CredentialRow>(
    `SELECT id, credential_name, encrypted_config FROM ${key.table}
     WHERE id = (SELECT credential_id FROM ${key.pointer.table} WHERE ${key.pointer.where} LIMIT 1)`,
    key.params,
  );
  return rows[0];
}

export async function insertCredential(
  db: Db,
  owner: CredentialOwner,
  input: { name: string; encryptedConfig: string },
): Promise<string> {
  const key = keyOf(owner);
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO ${key.table} (${key.columns}, credential_name, encrypted_config)
     VALUES (${key.params.map((_, i) => `$${i + 1}`).join(', ')}, ${after(key, 1)}, ${after(key, 2)}) RETURNING id`,
    [...key.params, input.name, input.encryptedConfig],
  );
  return (rows[0] as { id: string }).id; // INSERT … RETURNING yields one row
}

/** Replaces a credential's config (and its name, when given); false when the owner has no such credential. */
export async function updateCredential(
  db: Db,
  owner: CredentialOwner,
  input: { id: string; name?: string; encryptedConfig: string },
): Promise<boolean> {
  const key = keyOf(owner);
  const { rowCount } = await db.query(
    `UPDATE ${key.table} SET encrypted_config = ${after(key, 2)}, credential_name = COALESCE(${after(key, 3)}, credential_name), updated_at = now()
     WHERE ${key.where} AND id = ${after(key, 1)}`,
    [...key.params, input.id, input.encryptedConfig, input.name ?? null],
  );
  return (rowCount ?? 0) > 0;
}

/** Points the owner at a credential (null: none), creating its `providers`/`provider_models` row if needed. */
export async function activateCredential(db: Db, owner: CredentialOwner, credentialId: string | null): Promise<void> {
  const { pointer, params } = keyOf(owner);
  const id = `$${params.length + 1}::uuid`;
  await db.query(
    `INSERT INTO ${pointer.table} (${pointer.columns}, credential_id, is_valid) VALUES (${pointer.values}, ${id}, ${id} IS NOT NULL)
     ON CONFLICT (${pointer.columns})
     DO UPDATE SET credential_id = EXCLUDED.credential_id, is_valid = EXCLUDED.is_valid, updated_at = now()`,
    [...params, credentialId],
  );
}

/**
 * Deletes one credential (or, without `id`, all of the owner's). When that leaves the owner's row
 * pointing at none, it points at the newest credential left, or stays at none.
 */
export async function deleteCredentials(db: Db, owner: CredentialOwner, id?: string): Promise<number> {
  const key = keyOf(owner);
  const { rowCount } = await db.query(
    `DELETE FROM ${key.table} WHERE ${key.where} AND (${after(key, 1)}::uuid IS NULL OR id = ${after(key, 1)})`,
    [...key.params, id ?? null],
  );
  const pointer = await db.query<{ credential_id: string | null }>(
    `SELECT credential_id FROM ${key.pointer.table} WHERE ${key.pointer.where}`,
    key.params,
  );
  if (pointer.rows[0] && pointer.rows[0].credential_id === null) {
    // The newest left: the last of listCredentials' order.
    const newest = await db.query<{ id: string }>(
      `SELECT id FROM ${key.table} WHERE ${key.where} ORDER BY created_at DESC, id DESC LIMIT 1`,
      key.params,
    );
    await activateCredential(db, owner, newest.rows[0]?.id ?? null);
  }
  return rowCount ?? 0;
}
