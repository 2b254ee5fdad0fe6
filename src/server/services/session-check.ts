import type pg from 'pg';
import type { AccessClaims } from './auth-tokens.js';
import { createPromiseCache } from '../../cache/promise-cache.js';

/**
 * How long a "this account may still act in this workspace" answer is reused by a process.
 * @default 3000 ms: a banned, removed or reset account is refused within seconds, not when its
 * access token expires, and a burst of requests costs one query.
 */
export const SESSION_CHECK_TTL_MS = 3000;
/** Answers kept at most (oldest dropped first). */
const MAX_ENTRIES = 10_000;

const STILL_MEMBER = `
  SELECT 1 FROM accounts a
  JOIN tenant_account_joins j ON j.account_id = a.id
  JOIN tenants t ON t.id = j.tenant_id
  WHERE a.id = $1 AND j.tenant_id = $2 AND a.status = 'active' AND t.status = 'normal'`;

export type SessionCheck = (claims: AccessClaims) => Promise<boolean>;

/**
 * Whether the claims of a valid access token still stand: the account exists and is active, the
 * workspace exists and is not archived, and the account is still a member of it. A signature alone
 * outlives `db reset` (SECRET_KEY stays) and a ban; this does not. Answers, positive and negative,
 * are cached per account and workspace for `ttlMs`; concurrent checks share one query.
 */
export function createSessionCheck(options: { pool: pg.Pool; ttlMs?: number; now?: () => number }): SessionCheck {
  const cache = createPromiseCache<boolean>({
    ttlMs: options.ttlMs ?? SESSION_CHECK_TTL_MS,
    max: MAX_ENTRIES,
    now: options.now,
  });
  return (claims) =>
    cache.get(`${claims.accountId}:${claims.tenantId}`, () =>
      options.pool
        .query({ name: 'session.still-member', text: STILL_MEMBER, values: [claims.accountId, claims.tenantId] })
        .then((r) => (r.rowCount ?? 0) > 0),
    );
}
