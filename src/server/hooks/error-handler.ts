import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

/**
 * The database or Redis is away (refused, reset, shutting down, pool wait timed out, ioredis giving
 * up on a command while it reconnects): a 503, not a bug.
 */
function isUnavailable(error: { code?: unknown; message?: unknown; name?: unknown }): boolean {
  if (error.name === 'MaxRetriesPerRequestError') return true;
  // 53300 too_many_connections, 53200 out_of_memory: the server is there but cannot take the work.
  if (
    typeof error.code === 'string' &&
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'ENOTFOUND',
      'EAI_AGAIN',
      '57P01',
      '57P02',
      '57P03',
      '08000',
      '08001',
      '08003',
      '08006',
      '53200',
      '53300',
    ].includes(error.code)
  )
    return true;
  // "Query read timeout" (pg's query_timeout) and "Command timed out" (ioredis' commandTimeout): a
  // database or Redis that is connected but stalled.
  return (
    typeof error.message === 'string' &&
    /timeout exceeded when trying to connect|Connection terminated|Stream isn't writeable|Connection is closed|Query read timeout|Command timed out/i.test(
      error.message,
    )
  );
}

/**
 * The disk is full: PostgreSQL's 53100 disk_full (SQLSTATE class 53, insufficient resources), a file
 * write's ENOSPC or EDQUOT, or Redis refusing writes because it cannot save its snapshot (MISCONF).
 */
function isDiskFull(error: { code?: unknown; message?: unknown }): boolean {
  if (error.code === '53100' || error.code === 'ENOSPC' || error.code === 'EDQUOT') return true;
  return typeof error.message === 'string' && /^MISCONF /.test(error.message);
}

/**
 * A PostgreSQL data exception (SQLSTATE class 22: bad encoding, number out of range, invalid text
 * representation…): a value from the request that validation let through. The client gets a 400,
 * never the database's message (it can quote the value).
 */
const isBadData = (code: unknown): boolean => typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);

const CODES_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

const isClientStatus = (status: unknown): status is number =>
  typeof status === 'number' && status >= 400 && status < 500;

/**
 * Every error leaves as Dify's JSON `{code, message, status}`. Client errors keep their status and
 * message; anything else is a 503 (dependency away or stalled, schema missing), a 507 (disk full),
 * a 504 (a statement past statement_timeout), a 400 (a value the database refused) or a 500 whose
 * details go to the log, not to the client. docs/errors.md lists the codes.
 */
export function registerErrorHandlers(
  app: FastifyInstance,
  options: { logger: Logger; onServerError?: (error: unknown) => void },
): void {
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) return reply.code(error.status).headers(error.headers).send(error.toJSON());
    if (isClientStatus(error.statusCode)) {
      const code = FASTIFY_CODES[error.code] ?? CODES_BY_STATUS[error.statusCode] ?? 'bad_request';
      const message = code === 'invalid_json' ? 'The request body is not valid JSON.' : error.message;
      return reply.code(error.statusCode).send({ code, message, status: error.statusCode });
    }
    const facts = { err: error.message, code: error.code, url: request.url };
    if (error.code === '42P01') {
      options.logger.error(facts, 'the database schema is missing: run `difyctl migrate`');
      return reply.code(503).send({
        code: 'schema_not_migrated',
        message: 'The database is not migrated. Run `difyctl migrate` (or `difyctl up`).',
        status: 503,
      });
    }
    if (isBadData(error.code)) {
      options.logger.warn(facts, 'the database refused a value from the request');
      return reply
        .code(400)
        .send({ code: 'invalid_param', message: 'A value in the request cannot be stored.', status: 400 });
    }
    if (isDiskFull(error)) {
      options.logger.error(facts, 'a write failed: the disk is full');
      return reply.code(507).send({
        code: 'insufficient_storage',
        message: 'The server has no space left to store this request. Try again once space is freed.',
        status: 507,
      });
    }
    if (error.code === '57014') {
      options.logger.warn(facts, 'a database statement was cancelled (statement_timeout)');
      return reply.code(504).send({
        code: 'gateway_timeout',
        message: 'The database did not finish in time. Try again shortly.',
        status: 504,
      });
    }
    if (isUnavailable(error)) {
      options.logger.warn(facts, 'dependency unavailable');
      return reply.code(503).header('Retry-After', '1').send({
        code: 'service_unavailable',
        message: 'A backing service (database or Redis) is unavailable. Try again shortly.',
        status: 503,
      });
    }
    options.logger.error({ err: error, url: request.url, method: request.method }, 'request failed');
    options.onServerError?.(error);
    return reply
      .code(500)
      .send({ code: 'internal_server_error', message: 'The server encountered an internal error.', status: 500 });
  });
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ code: 'not_found', message: 'The requested URL was not found on the server.', status: 404 });
  });
}

/**
 * Fastify's `frameworkErrors` option: a URL that cannot be decoded (400) or a path parameter past the
 * router's length limit (414) is answered before any route or hook runs; this keeps Dify's error
 * body and the X-Version / X-Env headers for those too.
 */
export function frameworkErrors(headers: { version: string; env: string }) {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
    const status = isClientStatus(error.statusCode) ? error.statusCode : 400;
    const code = status === 414 ? 'uri_too_long' : 'bad_request';
    reply
      .code(status)
      .headers({ 'X-Version': headers.version, 'X-Env': headers.env })
      .send({ code, message: error.message, status });
  };
}
