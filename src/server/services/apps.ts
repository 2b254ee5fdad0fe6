import type pg from 'pg';
import { notFound, unauthorized } from '../http-error.js';
import { unixSeconds } from './unix-time.js';

export const APP_MODES = ['chat', 'completion', 'agent-chat', 'workflow', 'advanced-chat'] as const;
export type AppMode = (typeof APP_MODES)[number];

export interface AppInput {
  name: string;
  description?: string;
  mode: AppMode;
  icon_type?: string | null;
  icon?: string | null;
  icon_background?: string | null;
}

export type AppUpdate = Partial<Omit<AppInput, 'mode'>> & {
  enable_site?: boolean;
  enable_api?: boolean;
  api_rpm?: number;
  api_rph?: number;
};

const COLUMNS =
  'id, name, description, mode, icon_type, icon, icon_background, enable_site, enable_api, api_rpm, api_rph, status, created_by, created_at, updated_at';

interface AppRow {
  id: string;
  name: string;
  description: string;
  mode: string;
  icon_type: string | null;
  icon: string | null;
  icon_background: string | null;
  enable_site: boolean;
  enable_api: boolean;
  api_rpm: number;
  api_rph: number;
  status: string;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** An app as Dify's console API shows it (timestamps in unix seconds). */
export function appJson(row: AppRow): Record<string, unknown> {
  return { ...row, created_at: unixSeconds(row.created_at), updated_at: unixSeconds(row.updated_at) };
}

/** The list's columns: timestamps as unix seconds from PostgreSQL itself (no Date parsed per row). */
const LIST_COLUMNS = COLUMNS.replace(
  'created_at, updated_at',
  'floor(extract(epoch FROM created_at))::float8 AS created_at, floor(extract(epoch FROM updated_at))::float8 AS updated_at',
);

/** An app row of the list: as AppRow, with the timestamps already in unix seconds. */
type ListedAppRow = Omit<AppRow, 'created_at' | 'updated_at'> & { created_at: number; updated_at: number };

/** Apps of a workspace, newest first; apps being deleted are hidden. */
export async function listApps(pool: pg.Pool, input: { tenantId: string; page: number; limit: number; name?: string }) {
  const params: unknown[] = [input.tenantId];
  let where = `tenant_id = $1 AND status = 'normal'`;
  if (input.name) {
    params.push(`%${input.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where += ` AND name ILIKE $${params.length}`;
  }
  // The count comes from its own subquery: a window count over the page is absent past the last
  // page (no row to carry it), which read as `total: 0` while apps exist. One row at least, always.
  // A named (prepared) statement: each connection parses and plans it once, not on every request.
  const { rows } = await pool.query<Partial<ListedAppRow> & { total: string }>({
    name: input.name ? 'apps.list-by-name' : 'apps.list',
    text: `SELECT c.total, p.* FROM (SELECT count(*) AS total FROM apps WHERE ${where}) c
     LEFT JOIN LATERAL (SELECT ${LIST_COLUMNS} FROM apps WHERE ${where} ORDER BY created_at DESC, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}) p ON true`,
    values: [...params, input.limit, (input.page - 1) * input.limit],
  });
  const total = Number(rows[0]?.total ?? 0);
  return {
    page: input.page,
    limit: input.limit,
    total,
    has_more: input.page * input.limit < total,
    // Past the last page the LEFT JOIN yields one row of nulls: not an app.
    data: rows
      .filter((row): row is ListedAppRow & { total: string } => row.id != null)
      .map(({ total: _total, ...row }) => row),
  };
}

/** The workspace or account of the session vanished under it (`db reset`, removal): its token is void. */
const isGoneOwner = (error: unknown): boolean => {
  const e = error as { code?: unknown; constraint?: unknown };
  return (
    e.code === '23503' &&
    (e.constraint === 'apps_tenant_id_fkey' ||
      e.constraint === 'apps_created_by_fkey' ||
      e.constraint === 'apps_updated_by_fkey')
  );
};

/** @throws HttpError 401 when the workspace or account no longer exists (the session check raced it) */
export async function createApp(pool: pg.Pool, input: AppInput & { tenantId: string; accountId: string }) {
  try {
    const { rows } = await pool.query<AppRow>(
      `INSERT INTO apps (tenant_id, name, description, mode, icon_type, icon, icon_background, created_by, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING ${COLUMNS}`,
      [
        input.tenantId,
        input.name,
        input.description ?? '',
        input.mode,
        input.icon_type ?? null,
        input.icon ?? null,
        input.icon_background ?? null,
        input.accountId,
      ],
    );
    return appJson(rows[0]!);
  } catch (error) {
    if (isGoneOwner(error))
      throw unauthorized('The account or workspace of this session no longer exists. Sign in again.');
    throw error;
  }
}

/** @throws HttpError 404 when the app is not in the workspace (or is being deleted) */
export async function getApp(pool: pg.Pool, input: { tenantId: string; appId: string }) {
  const { rows } = await pool.query<AppRow>(
    `SELECT ${COLUMNS} FROM apps WHERE id = $1 AND tenant_id = $2 AND status = 'normal'`,
    [input.appId, input.tenantId],
  );
  if (!rows[0]) throw notFound('App not found.', 'app_not_found');
  return appJson(rows[0]);
}

const UPDATABLE = [
  'name',
  'description',
  'icon_type',
  'icon',
  'icon_background',
  'enable_site',
  'enable_api',
  'api_rpm',
  'api_rph',
] as const;

export async function updateApp(
  pool: pg.Pool,
  input: { tenantId: string; appId: string; accountId: string; changes: AppUpdate },
) {
  const sets: string[] = [];
  const params: unknown[] = [input.appId, input.tenantId, input.accountId];
  for (const key of UPDATABLE) {
    if (input.changes[key] === undefined) continue;
    params.push(input.changes[key]);
    sets.push(`${key} = $${params.length}`);
  }
  const { rows } = await pool.query<AppRow>(
    `UPDATE apps SET ${[...sets, 'updated_by = $3', 'updated_at = now()'].join(', ')} WHERE id = $1 AND tenant_id = $2 AND status = 'normal' RETURNING ${COLUMNS}`,
    params,
  );
  if (!rows[0]) throw notFound('App not found.', 'app_not_found');
  return appJson(rows[0]);
}

/**
 * Hides the app at once (status `deleting`); the `app_deletion` task removes it and its data.
 * @throws HttpError 404 when the app is not in the workspace
 */
export async function markAppDeleting(
  db: pg.Pool | pg.PoolClient,
  input: { tenantId: string; appId: string },
): Promise<void> {
  const result = await db.query(
    `UPDATE apps SET status = 'deleting', updated_at = now() WHERE id = $1 AND tenant_id = $2 AND status = 'normal'`,
    [input.appId, input.tenantId],
  );
  if (result.rowCount !== 1) throw notFound('App not found.', 'app_not_found');
}
