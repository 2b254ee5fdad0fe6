#!/usr/bin/env node
// `difyctl up -d` wall time until /health answers 200 (up returns only then), fresh and warm,
// for the embedded and the docker providers. Median of N runs each.
//   fresh: a new project (init), nothing on disk;  warm: `down` then `up` again (data kept).
// Usage: node bench/up.mjs [runs=5] [--vs-compose]   (build first; docker needs DOCKER_HOST and the local images)
//   --vs-compose: only `up db redis` / stop / start side by side with docker compose (up-vs-compose.mjs)
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, appendFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 5);
const bin = fileURLToPath(new URL('../bin/difyctl.js', import.meta.url));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const freePort = () =>
  new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

function cli(args, cwd, env) {
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, [bin, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function measure(provider) {
  const env =
    provider === 'embedded'
      ? { DOCKER_HOST: 'unix:///nonexistent/bench.sock', PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` }
      : { COMPOSE_PROJECT_NAME: `difyctl-bench-${process.pid}` };
  const fresh = [];
  const warm = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'difyctl-bench-'));
    chmodSync(dir, 0o755);
    try {
      cli(['init'], dir, env);
      appendFileSync(path.join(dir, '.env'), `DIFY_PORT=${await freePort()}\n`);
      fresh.push(cli(['up', '-d', '--provider', provider], dir, env));
      cli(['down'], dir, env);
      warm.push(cli(['up', '-d', '--provider', provider], dir, env));
    } finally {
      try {
        cli(['down', '--volumes'], dir, env);
      } catch {
        // best effort
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { fresh, warm };
}

if (!process.argv.includes('--vs-compose')) {
  const providers = process.env.DOCKER_HOST ? ['embedded', 'docker'] : ['embedded'];
  console.log(
    `difyctl up -d to healthy, median of ${runs} (node ${process.version}, ${os.availableParallelism()} cores)`,
  );
  for (const provider of providers) {
    const { fresh, warm } = await measure(provider);
    console.log(
      `${provider.padEnd(9)} fresh ${(median(fresh) / 1000).toFixed(2)} s   warm ${(median(warm) / 1000).toFixed(2)} s   (fresh runs: ${fresh.map((x) => (x / 1000).toFixed(2)).join(', ')}; warm: ${warm.map((x) => (x / 1000).toFixed(2)).join(', ')})`,
    );
  }
}

// db + redis side by side with docker compose on the same engine (issue 13): `--vs-compose`, or after
// the above when docker-compose is on PATH. See up.md.
if (process.env.DOCKER_HOST && (process.argv.includes('--vs-compose') || hasCompose())) {
  const { compareWithCompose } = await import('./up-vs-compose.mjs');
  await compareWithCompose({ runs, bin, freePort, median });
}

function hasCompose() {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
