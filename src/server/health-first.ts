import http from 'node:http';
import type { FastifyServerFactory } from 'fastify';
import { healthBody, healthStatus, type HealthReport } from './health-check.js';
import { versionHeaders } from './hooks/version-headers.js';

interface ServerOptions {
  http?: http.ServerOptions;
  keepAliveTimeout: number;
  requestTimeout: number;
  connectionTimeout: number;
  maxRequestsPerSocket: number;
}

export interface HealthFirstOptions {
  health: () => Promise<HealthReport>;
  /** For the body and the `X-Version` and `X-Env` every response carries (hooks/version-headers.ts). */
  version: string;
  env: string;
  /** True once the app is closing: from then on fastify answers (503, `Connection: close`). */
  closing: () => boolean;
}

/**
 * The api's HTTP server, answering `GET /health` itself as a request arrives: before routing, hooks
 * and the concurrency limit, so the liveness probe costs what Node's HTTP server costs and answers
 * while every slot is taken. The answer is the route's own (routes/health.ts: same status, body and
 * headers; `test/integration/health-first.test.ts` compares the two). Any other request, a query
 * string, HEAD, or a closing app goes to fastify. `createApp` uses it only when no hook wants to see
 * every request (custom middleware, compression, the DEBUG request log).
 *
 * The server is made as fastify makes its own (lib/server.js, HTTP/1): the same `http` options,
 * keep-alive, request and connection timeouts.
 */
export function healthFirst(options: HealthFirstOptions): FastifyServerFactory {
  const headers = (body: string) => ({
    'content-type': 'application/json; charset=utf-8',
    ...versionHeaders(options),
    'content-length': Buffer.byteLength(body),
  });
  // The report is one object for as long as health() reuses it (≤ 1 s): so is its rendering.
  let rendered: { report: HealthReport; body: string; headers: ReturnType<typeof headers> } | undefined;
  const answer = async (res: http.ServerResponse): Promise<void> => {
    const report = await options.health();
    if (rendered?.report !== report) {
      const body = JSON.stringify(healthBody(report, options.version));
      rendered = { report, body, headers: headers(body) };
    }
    res.writeHead(healthStatus(report), rendered.headers);
    res.end(rendered.body);
  };
  return (route, fastifyOptions) => {
    // Fastify hands its options with their defaults filled in (fastify.js: connectionTimeout, …).
    const opts = fastifyOptions as unknown as ServerOptions;
    const server = http.createServer(opts.http ?? {}, (req, res) => {
      if (req.url !== '/health' || req.method !== 'GET' || options.closing()) return route(req, res);
      // health() settles with a report (its checks are bounded); were it ever to throw, fastify answers.
      answer(res).catch(() => route(req, res));
    });
    server.keepAliveTimeout = opts.keepAliveTimeout;
    server.requestTimeout = opts.requestTimeout;
    server.setTimeout(opts.connectionTimeout);
    if (opts.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
    return server;
  };
}
