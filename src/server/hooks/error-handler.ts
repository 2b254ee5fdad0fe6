import type { FastifyError, FastifyInstance } from 'fastify';
import { HttpError } from '../http-error.js';
import type { Logger } from '../logger.js';

/** Fastify's own 4xx errors (body parsing, limits) under Dify's snake_case codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_VALIDATION: 'invalid_param',
};

/** The database or Redis is away (refused, reset, shutting down, pool wait timed out): a 503, not a bug. */
function isUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006'].includes(e.code)) return true;
  return typeof e.message === 'string' && /timeout exceeded when trying to connect|Connection terminated|Stream isn't writeable|Connection is closed/i.test(e.message);
}

const CODES_BY_STATUS: Record<number, string> = { 400: 'bad_request', 404: 'not_found', 405: 'method_not_allowed', 413: 'payload_too_large', 415: 'unsupported_media_type', 429: 'too_many_requests' };

/**
 * Every error leaves as Dify's JSON `{code, message, status}`. Client errors keep their status and
 * message; anything else is a 500 whose details go to the log, not to the client.
 */
export function registerErrorHandlers(app: FastifyInstance, options: { logger: Logger; onServerError?: (error: unknown) => void }): void {
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.status).headers(error.headers).send(error.toJSON());
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500 && (error as { code?: string }).code === '42P01') {
      options.logger.error({ err: (error as Error).message }, 'the database schema is missing: run `difyctl migrate`');
      return reply.code(503).send({ code: 'schema_not_migrated', message: 'The database is not migrated. Run `difyctl migrate` (or `difyctl up`).', status: 503 });
    }
    if (status === 500 && isUnavailable(error)) {
      options.logger.warn({ err: (error as Error).message, url: request.url }, 'dependency unavailable');
      return reply.code(503).header('Retry-After', '1').send({ code: 'service_unavailable', message: 'A backing service (database or Redis) is unavailable. Try again shortly.', status: 503 });
    }
    if (status === 500) {
      options.logger.error({ err: error, url: request.url, method: request.method }, 'request failed');
      options.onServerError?.(error);
      return reply.code(500).send({ code: 'internal_server_error', message: 'The server encountered an internal error.', status: 500 });
    }
    const code = FASTIFY_CODES[error.code] ?? CODES_BY_STATUS[status] ?? 'bad_request';
    const message = code === 'invalid_json' ? 'The request body is not valid JSON.' : error.message;
    return reply.code(status).send({ code, message, status });
  });
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ code: 'not_found', message: 'The requested URL was not found on the server.', status: 404 });
  });
}
