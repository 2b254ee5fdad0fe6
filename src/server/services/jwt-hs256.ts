import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HS256 JSON Web Tokens (RFC 7519) with node:crypto's HMAC: the console's access tokens are checked
 * on every request, and a Web Crypto verify (jose) imports the key and crosses a promise boundary
 * each time — a fifth of an api process's CPU under load. Only HS256 is produced and accepted.
 */

export interface JwtClaims {
  sub?: string;
  iss?: string;
  iat?: number;
  exp?: number;
  [claim: string]: unknown;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export function signHs256(claims: JwtClaims, secret: Buffer): string {
  const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * @returns the claims of a token signed with `secret` by HS256, from `issuer`, not expired (and
 * with a numeric `exp`); null for anything else — never throws on hostile input.
 */
export function verifyHs256(
  token: string,
  secret: Buffer,
  options: { issuer: string; nowSeconds?: number },
): JwtClaims | null {
  const first = token.indexOf('.');
  const last = token.lastIndexOf('.');
  if (first <= 0 || last === first || last === token.length - 1) return null;
  const body = token.slice(0, last);
  const given = Buffer.from(token.slice(last + 1), 'base64url');
  const expected = createHmac('sha256', secret).update(body).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  // The signature holds: the header must still say HS256 (no "none", no other algorithm).
  const header = decodeJson(token.slice(0, first));
  if (header?.alg !== 'HS256' || 'crit' in header) return null;
  const claims = decodeJson(token.slice(first + 1, last)) as JwtClaims | null;
  if (!claims || claims.iss !== options.issuer || typeof claims.exp !== 'number') return null;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (claims.exp <= now) return null;
  if (typeof claims.nbf === 'number' && claims.nbf > now) return null;
  return claims;
}
