import { Algorithm, hash, verify } from '@node-rs/argon2';

/** argon2id, the memory-hard function: the encoded string carries its own salt and parameters. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: Algorithm.Argon2id });
}

let dummy: Promise<string> | undefined;

/**
 * Verifies a password; with no stored hash (unknown email) it still spends the same work on a dummy
 * hash, so response time does not tell which emails exist.
 */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (!stored) {
    dummy ??= hashPassword('difyctl-dummy-password');
    await verify(await dummy, password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}
