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
 * End users a process has seen, per pool: a user in a conversation calls again within seconds, and
 * the row never changes (it goes only with its app, whose config is read before it is used). Only
 * what a pool read or wrote is kept: a client's transaction might still roll its insert back.
 */
const KNOWN_TTL_MS = 60_000;
const MAX_KNOWN = 10_000;
const known = new WeakMap<object, Map<string, { id: string; at: number }>>();

const isClient = (db: object): boolean => 'release' in db;

function knownEndUser(db: object, appId: string, sessionId: string): string | undefined {
  if (isClient(db)) return undefined;
  const hit = known.get(db)?.get(`${appId}\u0000${sessionId}`);
  return hit && performance.now() - hit.at < KNOWN_TTL_MS ? hit.id : undefined;
}

function remember(db: object, user: EndUser): EndUser {
  if (isClient(db)) return user;
  let users = known.get(db);
  if (!users) known.set(db, (users = new Map()));
  const key = `${user.appId}\u0000${user.sessionId}`;
  users.delete(key);
  users.set(key, { id: user.id, at: performance.now() });
  if (users.size > MAX_KNOWN) users.delete(users.keys().next().value!);
  return user;
}

/**
 * The end user a service API call acts for: `user` scopes end users per app (Dify's
 * `get_or_create_end_user_by_type`, type `service_api`). Created on first use; concurrent first
 * calls with the same `user` get the same row (unique app_id, type, session_id). Read first: the
 * common case (a known user) writes nothing.
 */
export async function resolveEndUser(
  db: pg.Pool | pg.PoolClient,
  input: { tenantId: string; appId: string; user?: string | null },
): Promise<EndUser> {
  const sessionId = input.user || DEFAULT_USER;
  const remembered = knownEndUser(db, input.appId, sessionId);
  if (remembered) return { id: remembered, tenantId: input.tenantId, appId: input.appId, sessionId };
  const found = await findEndUser(db, { appId: input.appId, user: sessionId });
  if (found) return remember(db, { id: found.id, tenantId: input.tenantId, appId: input.appId, sessionId });
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
  return remember(db, { id, tenantId: input.tenantId, appId: input.appId, sessionId });
}

/** The end user of `user`, if it ever called this app (read-only routes must not create one). */
export async function findEndUser(
  db: pg.Pool | pg.PoolClient,
  input: { appId: string; user?: string | null },
): Promise<{ id: string } | undefined> {
  const { rows } = await db.query<{ id: string }>({
    name: 'apps.end-user.find',
    text: `SELECT id FROM end_users WHERE app_id = $1 AND type = 'service_api' AND session_id = $2`,
    values: [input.appId, input.user || DEFAULT_USER],
  });
  return rows[0];
}
