#!/usr/bin/env node
// Time from `createStack(...).up()` to ready, per provider (median of N runs, default 5), fresh
// (nothing running: new project dir / new containers) and reused (a second `up` on what runs).
//   npx tsc -p . && DOCKER_HOST=unix:///tmp/difyctl-dockerd/docker.sock node bench/stack.mjs [runs]
// docker needs the local images (test/docker/build-images.sh); it is skipped when no engine answers.
// external attaches to an embedded server started by another project dir, and a redis-server.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStack, loadConfig } from '../dist/index.js';

const runs = Number(process.argv[2] ?? 5);
const FIXTURES = fileURLToPath(new URL('../test/fixtures/dify/', import.meta.url));
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const SECRET_KEY = 'bench-secret-key-0123456789abcdef0123456789';

function project(kind) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `difyctl-bench-${kind}-`));
  chmodSync(dir, 0o755);
  if (kind === 'docker') {
    copyFileSync(path.join(FIXTURES, 'docker-compose-0.15.yaml'), path.join(dir, 'docker-compose.yaml'));
    copyFileSync(path.join(FIXTURES, '.env-0.15.example'), path.join(dir, '.env'));
  }
  return dir;
}

function stackFor(dir, env, provider) {
  const config = loadConfig({ projectDir: dir, env: { ...process.env, SECRET_KEY, ...env }, mode: 'api' });
  return createStack({ config, provider, env: { ...process.env, ...env } });
}

async function timeUp(stack, names) {
  const t0 = performance.now();
  const deps = await stack.up(names);
  return { ms: performance.now() - t0, deps };
}

async function measure(label, { provider, env = {}, names, kind = provider }) {
  const fresh = [];
  const reused = [];
  for (let i = 0; i < runs; i++) {
    const dir = project(kind);
    const runEnv = { COMPOSE_PROJECT_NAME: `bench${process.pid}x${i}`, EXPOSE_DB_PORT: '', ...env };
    const stack = stackFor(dir, runEnv, provider);
    try {
      const first = await timeUp(stack, names);
      if (provider !== 'auto' && first.deps.some((d) => d.reused))
        throw new Error(`${label}: a fresh run reused something`);
      fresh.push(first.ms);
      const second = await timeUp(stackFor(dir, runEnv, provider), names);
      reused.push(second.ms);
    } finally {
      await stack.down({ volumes: true });
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return [label, median(fresh), median(reused)];
}

const rows = [];
const noRedis = { PATH: '/nonexistent-bin', DOCKER_HOST: 'unix:///nonexistent/docker.sock', DB_PASSWORD: 'bench-pw' };
rows.push(await measure('embedded db (redis: none)', { provider: 'embedded', env: noRedis, names: ['db', 'redis'] }));
rows.push(
  await measure('embedded db + redis-server', {
    provider: 'embedded',
    env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock', DB_PASSWORD: 'bench-pw' },
    names: ['db', 'redis'],
  }),
);

// external: a server that already runs (an embedded one from another dir) and a redis-server.
const serverDir = project('external-server');
const server = stackFor(serverDir, { ...noRedis, DB_PORT: String(await freePort()) }, 'embedded');
const [pgDep] = await server.up(['db']);
const redisPort = await freePort();
const redis = spawn(
  'redis-server',
  ['--port', String(redisPort), '--bind', '127.0.0.1', '--requirepass', 'bench-pw', '--save', ''],
  { stdio: 'ignore' },
);
await new Promise((r) => setTimeout(r, 300));
try {
  const env = {
    DB_HOST: '127.0.0.1',
    DB_PORT: String(pgDep.connection.port),
    DB_PASSWORD: 'bench-pw',
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redisPort),
    REDIS_PASSWORD: 'bench-pw',
  };
  rows.push(
    await measure('external db + redis (attach)', { provider: 'auto', env, names: ['db', 'redis'], kind: 'external' }),
  );
} finally {
  redis.kill();
  await server.down({ volumes: true });
  rmSync(serverDir, { recursive: true, force: true });
}

const docker = await import('../dist/stack/providers/docker/engine.js').then((m) => m.tryEngine(process.env));
if (docker) rows.push(await measure('docker db + redis (0.15 file)', { provider: 'docker', names: ['db', 'redis'] }));
else console.error('no Docker engine answers: docker skipped');

console.log(`time from up() to ready, median of ${runs} (ms)`);
console.log(['provider'.padEnd(32), 'fresh'.padStart(8), 'reused'.padStart(8)].join(''));
for (const [label, fresh, reused] of rows)
  console.log([label.padEnd(32), fresh.toFixed(0).padStart(8), reused.toFixed(0).padStart(8)].join(''));
