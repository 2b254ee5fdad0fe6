/**
 * Secret credential values at rest: AES-256-GCM under a key derived from SECRET_KEY with HKDF-SHA256,
 * so the database never holds key material (Dify keeps a per-tenant RSA key pair instead; a derived
 * key needs no extra storage and rotates with SECRET_KEY). The tenant id is the additional
 * authenticated data: a ciphertext copied into another workspace does not decrypt.
 *
 * Stored form: `aesgcm:v1:` + base64(iv[12] ‖ tag[16] ‖ ciphertext).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'aesgcm:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Dify's placeholder for "keep the stored secret" in a PUT/POST body. */
export const HIDDEN_VALUE = '[__HIDDEN__]';

export type CredentialKey = Buffer & { readonly __credentialKey: true };

/** The 256-bit key for credentials, derived from SECRET_KEY (never stored). */
export function deriveCredentialKey(secretKey: string): CredentialKey {
  if (!secretKey) throw new Error('SECRET_KEY is empty: provider credentials cannot be encrypted');
  const key = hkdfSync('sha256', secretKey, 'difyctl model-runtime', 'provider credentials aes-256-gcm', 32);
  // hkdfSync returns an ArrayBuffer; the brand marks it as derived by this function.
  return Buffer.from(key) as CredentialKey;
}

export function isEncrypted(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

export function encryptSecret(key: CredentialKey, plaintext: string, tenantId: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(tenantId, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

/** @throws Error when the value was not made with this key for this tenant (or was altered). */
export function decryptSecret(key: CredentialKey, stored: string, tenantId: string): string {
  if (!isEncrypted(stored)) throw new Error('not an encrypted credential value');
  const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('truncated encrypted credential value');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(tenantId, 'utf8'));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}

/** Dify's `obfuscated_token`: first 6 + 12 `*` + last 2; 20 `*` for 8 characters or fewer. */
export function obfuscateToken(token: string): string {
  if (!token) return token;
  if (token.length <= 8) return '*'.repeat(20);
  return `${token.slice(0, 6)}${'*'.repeat(12)}${token.slice(-2)}`;
}
