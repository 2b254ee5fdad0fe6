import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** How long a client may take to send its request headers. @default 20 s (Node's own is 60 s) */
export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
/**
 * How long a client may take to send its whole request, headers and body: a body that trickles in
 * longer is answered 408 and the connection closed (Dify's nginx gives a body 60 s between reads).
 * @default 60 s
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export interface RequestTimeouts {
  /** @default DEFAULT_HEADERS_TIMEOUT_MS */
  headersMs?: number;
  /** @default DEFAULT_REQUEST_TIMEOUT_MS */
  requestMs?: number;
}

/**
 * The fastify options that bound reading a request: Node's `headersTimeout` and `requestTimeout`,
 * checked every `connectionsCheckingInterval` (Node's default of 30 s would let a 1 s bound run
 * 31 s). Reading is bounded apart from handling: once the request is in, only GUNICORN_TIMEOUT
 * applies (see registerRequestDeadline).
 */
export function requestTimeoutOptions(timeouts: RequestTimeouts = {}): {
  requestTimeout: number;
  http: { headersTimeout: number; connectionsCheckingInterval: number };
} {
  const requestMs = timeouts.requestMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const headersMs = Math.min(timeouts.headersMs ?? DEFAULT_HEADERS_TIMEOUT_MS, requestMs);
  const checkMs = Math.max(50, Math.min(1000, Math.floor(headersMs / 4)));
  return { requestTimeout: requestMs, http: { headersTimeout: headersMs, connectionsCheckingInterval: checkMs } };
}

const rawResponse = (
  status: number,
  code: string,
  message: string,
  headers: { version: string; env: string },
): string => {
  const body = JSON.stringify({ code, message, status });
  const reason =
    status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  return [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Version: ${headers.version}`,
    `X-Env: ${headers.env}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
};

/**
 * Fastify's `clientErrorHandler`: a request that was not received in time (408), headers past the
 * size limit (431) or a request the HTTP parser refused (400) get Dify's JSON error body, then the
 * connection closes. Like Node's own handler, nothing is written when a response already started
 * on that socket: a second status line would corrupt it.
 */
export function clientErrorHandler(headers: { version: string; env: string }) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // Node keeps the in-flight response of a socket as `_httpMessage` (its own socketOnError reads it).
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const reply =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? rawResponse(408, 'request_timeout', 'The request was not received in time.', headers)
          : error.code === 'HPE_HEADER_OVERFLOW'
            ? rawResponse(431, 'request_header_fields_too_large', 'The request headers are too large.', headers)
            : rawResponse(400, 'bad_request', 'The request could not be parsed.', headers);
      socket.end(reply);
    }
    socket.destroySoon();
  };
}

/**
 * GUNICORN_TIMEOUT cuts a request that has not been answered after that many seconds of silence
 * (fastify's `connectionTimeout`). Node would drop the connection without a word; here the client
 * gets a JSON answer first: 408 while its body was still arriving, 504 `gateway_timeout` when the
 * handler did not finish. A response already started (a stream) is cut as before.
 */
export function registerRequestDeadline(app: FastifyInstance, options: { timeoutSeconds: number }): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.raw.once('timeout', () => {
      const socket = request.raw.socket;
      if (reply.sent || reply.raw.headersSent) {
        socket.destroy();
        return;
      }
      const bodyPending = !request.raw.complete;
      const status = bodyPending ? 408 : 504;
      const code = bodyPending ? 'request_timeout' : 'gateway_timeout';
      const message = bodyPending
        ? 'The request was not received in time.'
        : `The request did not finish within GUNICORN_TIMEOUT (${options.timeoutSeconds} s).`;
      reply.code(status).header('Connection', 'close').send({ code, message, status });
    });
    done();
  });
}
