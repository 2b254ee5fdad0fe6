import type { FastifyInstance } from 'fastify';

/** @default 1 MiB, for JSON bodies; file uploads get their own limit. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * JSON routes accept JSON only: text/plain (which fastify parses by default) would reach handlers
 * as a string. Without its parser, any non-JSON body is a 415; the body limit (413) and malformed
 * JSON (400) come from fastify's own parser and become Dify-style errors in the error handler.
 */
export function registerRequestGuard(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
}
