#!/usr/bin/env node
// Node's floor for `GET /health`: node:http alone in 2 cluster processes, answering a body of the same
// shape with the same headers as difyctl's /health, with no framework and no check behind it.
// `BENCH_FLOOR=1 node bench/hot-path.mjs` runs it beside the two stacks: what a request costs Node's
// HTTP server itself on this machine. PORT=… node bench/peers/node_health.mjs
import cluster from 'node:cluster';
import http from 'node:http';

if (cluster.isPrimary) {
  for (let i = 0; i < 2; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
} else {
  const body = JSON.stringify({ status: 'healthy', pid: process.pid, version: '0.1.0', db: 'ok', redis: 'ok' });
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'x-version': '0.1.0',
    'x-env': 'PRODUCTION',
    'content-length': Buffer.byteLength(body),
  };
  http
    .createServer((_req, res) => {
      res.writeHead(200, headers);
      res.end(body);
    })
    .listen(Number(process.env.PORT), '127.0.0.1');
}
