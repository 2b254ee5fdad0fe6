import type pg from 'pg';
import { inTransaction } from '../db.js';
import { forbidden } from '../http-error.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { unixSeconds } from './unix-time.js';

export interface Account {
  id: string;
  name: string;
  email: string;
  tenantId: string;
}

export interface SetupInput {
  email: string;
  name: string;
  password: string;
  /** Recorded in `dify_setups.version`. */
  version: string;
}

export async function setupStatus(pool: pg.Pool): Promise<{ step: 'not_started' | 'finished'; setup_at?: string }> {
  const { rows } = await pool.query<{ setup_at: Date }>('SELECT setup_at FROM dify_setups ORDER BY setup_at LIMIT 1');
  const row = rows[0];
  return row ? { step: 'finished', setup_at: row.setup_at.toISOString() } : { step: 'not_started' };
}

/**
 * Creates the first admin, their workspace and the owner membership, once: the table lock makes
 * two concurrent setups serialise, and the second one finds the row and is refused.
 */
export async function setupFirstAdmin(pool: pg.Pool, input: SetupInput): Promise<Account> {
  const passwordHash = await hashPassword(input.password);
  return inTransaction(pool, async (client) => {
    await client.query('LOCK TABLE dify_setups IN EXCLUSIVE MODE');
    const done = await client.query('SELECT 1 FROM dify_setups LIMIT 1');
    if (done.rowCount) throw forbidden('Setup has already been completed.', 'already_setup');
    const account = await client.query<{ id: string }>(
      `INSERT INTO accounts (name, email, password_hash, status, initialized_at) VALUES ($1, $2, $3, 'active', now()) RETURNING id`,
      [input.name, input.email, passwordHash],
    );
    const tenant = await client.query<{ id: string }>('INSERT INTO tenants (name) VALUES ($1) RETURNING id', [
      `${input.name}'s Workspace`,
    ]);
    const accountId = account.rows[0]!.id;
    const tenantId = tenant.rows[0]!.id;
    await client.query(
      `INSERT INTO tenant_account_joins (tenant_id, account_id, current, role) VALUES ($1, $2, true, 'owner')`,
      [tenantId, accountId],
    );
    await client.query('INSERT INTO dify_setups (version) VALUES ($1)', [input.version]);
    return { id: accountId, name: input.name, email: input.email, tenantId };
  });
}

interface AccountRow {
  id: string;
  name: string;
  email: string;
  password_hash: string | null;
  status: string;
  tenant_id: string | null;
}

const SELECT_ACCOUNT = `
  SELECT a.id, a.name, a.email, a.password_hash, a.status, j.tenant_id
  FROM accounts a
  LEFT JOIN LATERAL (
    SELECT tenant_id FROM tenant_account_joins WHERE account_id = a.id ORDER BY current DESC, created_at LIMIT 1
  ) j ON true`;

/** The account for an email and password, or null (wrong email and wrong password look alike). */
export async function authenticate(
  pool: pg.Pool,
  input: { email: string; password: string; ip: string },
): Promise<Account | null> {
  const { rows } = await pool.query<AccountRow>(`${SELECT_ACCOUNT} WHERE lower(a.email) = lower($1)`, [input.email]);
  const row = rows[0];
  const ok = await verifyPassword(row?.password_hash, input.password);
  if (!row || !ok || row.status !== 'active' || !row.tenant_id) return null;
  await pool.query('UPDATE accounts SET last_login_at = now(), last_login_ip = $2, updated_at = now() WHERE id = $1', [
    row.id,
    input.ip,
  ]);
  return { id: row.id, name: row.name, email: row.email, tenantId: row.tenant_id };
}

/** An active account with its current workspace, or null. */
export async function findAccount(pool: pg.Pool, id: string): Promise<Account | null> {
  const { rows } = await pool.query<AccountRow>(`${SELECT_ACCOUNT} WHERE a.id = $1`, [id]);
  const row = rows[0];
  if (row?.status !== 'active' || !row.tenant_id) return null;
  return { id: row.id, name: row.name, email: row.email, tenantId: row.tenant_id };
}

export interface Profile {
  id: string;
  name: string;
  email: string;
  avatar: string | null;
  interface_language: string | null;
  interface_theme: string | null;
  timezone: string | null;
  last_login_at: number | null;
  last_login_ip: string | null;
  created_at: number;
}

type ProfileRow = Omit<Profile, 'last_login_at' | 'created_at'> & { last_login_at: Date | null; created_at: Date };

export async function profile(pool: pg.Pool, id: string): Promise<Profile | null> {
  const { rows } = await pool.query<ProfileRow>(
    'SELECT id, name, email, avatar, interface_language, interface_theme, timezone, last_login_at, last_login_ip, created_at FROM accounts WHERE id = $1',
    [id],
  );
  const r = rows[0];
  if (!r) return null;
  return { ...r, last_login_at: unixSeconds(r.last_login_at), created_at: unixSeconds(r.created_at) };
}
