import { z } from 'zod';
import { badRequest } from '../http-error.js';

/** A path id (`:appId`, `:keyId`): anything else is a 400 before it reaches a uuid column. */
export const uuidParam = z.string().uuid({ message: 'must be a UUID' });

/** PostgreSQL `integer` columns (api_rpm, api_rph…): a larger number would be a database error. */
export const INT4_MAX = 2_147_483_647;

/** The path of the first string holding U+0000, which PostgreSQL text cannot store; null if none. */
function nulPath(value: unknown, path: string[]): string[] | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    const found = nulPath(item, [...path, key]);
    if (found) return found;
  }
  return null;
}

/**
 * Parses a body, query or params with zod; a mismatch is a 400 `invalid_param` naming the field,
 * and so is a string with a NUL character (PostgreSQL would refuse it with an error, not a 400).
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw badRequest(`${field}: ${issue?.message ?? 'invalid'}`);
  }
  const nul = nulPath(result.data, []);
  if (nul) throw badRequest(`${nul.join('.') || 'body'}: must not contain the NUL character (\\u0000)`);
  return result.data;
}
