import type { z } from 'zod';
import { badRequest } from '../http-error.js';

/** Parses a body or query with zod; a mismatch is a 400 `invalid_param` naming the field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || 'body';
  throw badRequest(`${field}: ${issue?.message ?? 'invalid'}`);
}
