import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyValueStore } from '../store/types.js';
import { signHs256, verifyHs256 } from './jwt-hs256.js';

/** @default 15 minutes: short-lived; the refresh token renews it. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
/** @default 30 days (Dify's REFRESH_TOKEN_EXPIRE_DAYS). */
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
const ISSUER = 'difyctl';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
}

export interface AccessClaims {
  accountId: string;
  tenantId: string;
}

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** Compares two hex digests without leaking, through timing, where they differ. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

const refreshKey = (digest: string): string => `refresh_token:${digest}`;
/** Verified access tokens a process remembers (oldest dropped first). */
const MAX_VERIFIED = 10_000;

/**
 * Console sessions: an HS256 JWT signed with SECRET_KEY (stateless, short-lived), and an opaque
 * refresh token kept server-side only as its sha256 (store key `refresh_token:<digest>`, TTL).
 */
export function createTokenService(options: {
  secretKey: string;
  kv: KeyValueStore;
  accessTtlSeconds?: number;
  /** Who the claims of a refresh token stand for now: null when the account is gone or no longer active. */
  currentClaims?: (claims: AccessClaims) => Promise<AccessClaims | null>;
  /**
   * Whether the claims of a well-signed access token still stand (see createSessionCheck): false
   * refuses the token before it expires (account removed or banned, workspace gone, `db reset`).
   */
  stillValid?: (claims: AccessClaims) => Promise<boolean>;
}) {
  const secret = Buffer.from(options.secretKey, 'utf8');
  const accessTtl = options.accessTtlSeconds ?? ACCESS_TOKEN_TTL_SECONDS;

  // A client sends the same token on every request for its 15 minutes: the signature of a token
  // once found good is not computed again; its expiry is checked each time.
  const verified = new Map<string, { claims: AccessClaims; exp: number }>();
  function signedClaims(token: string): AccessClaims | null {
    const now = Math.floor(Date.now() / 1000);
    const hit = verified.get(token);
    if (hit) {
      if (hit.exp > now) return hit.claims;
      verified.delete(token);
      return null;
    }
    const payload = verifyHs256(token, secret, { issuer: ISSUER, nowSeconds: now });
    if (payload?.typ !== 'access' || typeof payload.sub !== 'string' || typeof payload.tid !== 'string') return null;
    const claims: AccessClaims = { accountId: payload.sub, tenantId: payload.tid };
    verified.set(token, { claims, exp: payload.exp! }); // verifyHs256 returns only claims with a numeric exp
    if (verified.size > MAX_VERIFIED) verified.delete(verified.keys().next().value!);
    return claims;
  }

  async function issue(claims: AccessClaims): Promise<TokenPair> {
    const now = Math.floor(Date.now() / 1000);
    const access = signHs256(
      { tid: claims.tenantId, typ: 'access', sub: claims.accountId, iss: ISSUER, iat: now, exp: now + accessTtl },
      secret,
    );
    const refresh = randomBytes(32).toString('base64url');
    const digest = sha256(refresh);
    await options.kv.set(refreshKey(digest), JSON.stringify({ ...claims, digest }), REFRESH_TOKEN_TTL_SECONDS);
    return { access_token: access, refresh_token: refresh };
  }

  /**
   * @returns the claims of a valid access token whose account and workspace still stand, or null
   * @throws when that check cannot be made (the database is away): a 503, not a 401
   */
  async function verifyAccess(token: string): Promise<AccessClaims | null> {
    const claims = signedClaims(token);
    if (!claims) return null;
    if (options.stillValid && !(await options.stillValid(claims))) return null;
    return claims;
  }

  /**
   * Spends a refresh token (once: `take` is atomic) and returns a new pair for the account as it is
   * now; null when the token is unknown or the account was banned, closed or removed.
   */
  async function rotate(refreshToken: string): Promise<TokenPair | null> {
    const digest = sha256(refreshToken);
    const stored = await options.kv.take(refreshKey(digest));
    if (!stored) return null;
    // Written by issue() above, never by a client.
    const parsed = JSON.parse(stored) as AccessClaims & { digest: string };
    if (!sameDigest(parsed.digest, digest)) return null;
    const claims = { accountId: parsed.accountId, tenantId: parsed.tenantId };
    const current = options.currentClaims ? await options.currentClaims(claims) : claims;
    return current ? issue(current) : null;
  }

  async function revoke(refreshToken: string): Promise<void> {
    await options.kv.delete(refreshKey(sha256(refreshToken)));
  }

  return { issue, verifyAccess, rotate, revoke };
}

export type TokenService = ReturnType<typeof createTokenService>;
