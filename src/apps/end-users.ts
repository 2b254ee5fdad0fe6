import type pg from 'pg';

/** Dify's session id for calls that name no user (`DefaultEndUserSessionID`). */
export const DEFAULT_USER = 'DEFAULT-USER';

export interface EndUser {
  id: string;
  tenantId: string;
  appId: string;
  /** The API's `user`. */
  sessionId: string;
}

/**
 * The end user a service API call acts for: `user` scopes end users per app (Dify's
 * `get_or_create_end_user_by_type`, type `service_api`). Created on first use; concurrent first
 * calls with the same `user` get the same row (unique app_id, type, session_id). Read first: the
 * common case (a known user) writes nothing.
 */
export async function resolveEndUser(db: pg.Pool | pg.PoolClient, input: { tenantId: string; appId: string; user?: string | null }): Promise<EndUser> {
  const sessionId = input.user || DEFAULT_USER;
  const found = await findEndUser(db, { appId: input.appId, user: sessionId });
  if (found) return { id: found.id, tenantId: input.tenantId, appId: input.appId, sessionId };
  const { rows } = await db.query<{ id: string }>({
    name: 'apps.end-user.create',
    text: `INSERT INTO end_users (tenant_id, app_id, type, external_user_id, is_anonymous, session_id)
           VALUES ($1, $2, 'service_api', $3, $4, $3)
           ON CONFLICT (app_id, type, session_id) DO NOTHING RETURNING id`,
    values: [input.tenantId, input.appId, sessionId, sessionId === DEFAULT_USER],
  });
  // Nothing returned: a concurrent first call created it a moment ago.
  const id = rows[0]?.id ?? (await findEndUser(db, { appId: input.appId, user: sessionId }))?.id;
  if (!id) throw new Error(`end user ${sessionId} of app ${input.appId} could not be created`);
  return { id, tenantId: input.tenantId, appId: input.appId, sessionId };
}

/** The end user of `user`, if it ever called this app (read-only routes must not create one). */
export async function findEndUser(db: pg.Pool | pg.PoolClient, input: { appId: string; user?: string | null }): Promise<{ id: string } | undefined> {
  const { rows } = await db.query<{ id: string }>({
    name: 'apps.end-user.find',
    text: `SELECT id FROM end_users WHERE app_id = $1 AND type = 'service_api' AND session_id = $2`,
    values: [input.appId, input.user || DEFAULT_USER],
  });
  return rows[0];
}
