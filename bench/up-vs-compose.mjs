// `difyctl up db redis --provider docker` side by side with docker compose on the same engine, with
// Dify 0.15's db and redis services (issue 13). Used by up.mjs (`node bench/up.mjs 5 --vs-compose`).
//
// Each run, both projects side by side, each step for one tool then the other (first one alternating),
// so that both see the same load:
//   fresh:    a new project dir, nothing on the engine. compose: `docker-compose up -d db redis`, then
//             real logins polled every 50 ms (PostgreSQL login + SELECT 1, Redis AUTH + PING) until both
//             pass; difyctl: `up db redis` returns once its own login gate passed.
//   stop:     `docker-compose stop`                     vs `difyctl stop`
//   restart:  `docker-compose up -d db redis` + logins   vs `difyctl start`   (after the stop above)
//   recreate: `docker-compose down` then `up -d` + logins  vs `difyctl down` then `up db redis` (data kept)
// Printed: the median of each tool, their ratio, and the median of the per-run ratios ("paired").
// The compose file is the fixture's api, db and redis services as they are (api is never started),
// redis published on 127.0.0.1 (the bench talks to loopback only). Both tools use the same file.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { Redis } from 'ioredis';
import YAML from 'yaml';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/dify/', import.meta.url));
const PASSWORD = 'difyai123456';
const POLL_MS = 50;

function project(tag) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `difyctl-vs-compose-${tag}-`));
  chmodSync(dir, 0o755);
  const full = YAML.parse(readFileSync(path.join(FIXTURES, 'docker-compose-0.15.yaml'), 'utf8'), { merge: true });
  // api stays (never started: difyctl reads its settings from it); redis published on loopback.
  const services = {
    api: { image: full.services.api.image, environment: full.services.api.environment },
    db: full.services.db,
    redis: { ...full.services.redis, ports: ['127.0.0.1:${EXPOSE_REDIS_PORT}:6379'] },
  };
  writeFileSync(path.join(dir, 'docker-compose.yaml'), YAML.stringify({ services }));
  copyFileSync(path.join(FIXTURES, '.env-0.15.example'), path.join(dir, '.env'));
  return dir;
}

const run = (cmd, args, cwd, env) => {
  const t0 = performance.now();
  execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  return performance.now() - t0;
};

async function pgAnswers(port) {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password: PASSWORD,
    database: 'dify',
    connectionTimeoutMillis: 1000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisAnswers(port) {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    password: PASSWORD,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** What a compose user does to know the stack serves: real logins, every 50 ms, until both pass. */
async function untilServing(ports) {
  const poll = async (check) => {
    while (!(await check())) await delay(POLL_MS);
  };
  await Promise.all([poll(() => pgAnswers(ports.db)), poll(() => redisAnswers(ports.redis))]);
}

const timed = async (work) => {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
};

/** Each tool's steps, timed; both tools run each step back to back (see compareWithCompose). */
function composeSteps({ dir, env, ports }) {
  const compose = (...args) => run('docker-compose', args, dir, env);
  const upAndServe = async () => {
    compose('up', '-d', 'db', 'redis');
    await untilServing(ports);
  };
  return {
    fresh: () => timed(upAndServe),
    stop: () => timed(() => compose('stop')),
    restart: () => timed(upAndServe),
    recreate: () =>
      timed(() => {
        compose('down');
        return upAndServe();
      }),
    cleanup: () => compose('down', '-v'),
  };
}

function difyctlSteps({ dir, env, ports, bin }) {
  const difyctl = (...args) => run(process.execPath, [bin, ...args], dir, env);
  // `up` and `start` return once their own login gate passed; the logins after them are a check,
  // not timed (they pass at once when difyctl told the truth).
  return {
    fresh: async () => {
      const ms = difyctl('up', 'db', 'redis', '--provider', 'docker');
      await untilServing(ports);
      return ms;
    },
    stop: async () => difyctl('stop'),
    restart: async () => {
      const ms = difyctl('start');
      await untilServing(ports);
      return ms;
    },
    recreate: async () => difyctl('down') + difyctl('up', 'db', 'redis', '--provider', 'docker'),
    cleanup: () => difyctl('down', '--volumes'),
  };
}

const STEPS = ['fresh', 'stop', 'restart', 'recreate'];

export async function compareWithCompose({ runs, bin, freePort, median }) {
  const rows = { compose: [], difyctl: [] };
  for (let i = 0; i < runs; i++) {
    // Both projects side by side; each step runs for one tool then the other, first one alternating.
    const order = i % 2 === 0 ? ['compose', 'difyctl'] : ['difyctl', 'compose'];
    const tools = {};
    for (const tool of order) {
      const dir = project(tool);
      const ports = { db: await freePort(), redis: await freePort() };
      const env = {
        COMPOSE_PROJECT_NAME: `vs${tool}${process.pid}x${i}`,
        EXPOSE_DB_PORT: String(ports.db),
        EXPOSE_REDIS_PORT: String(ports.redis),
        SECRET_KEY: 'bench-secret-key-0123456789abcdef0123456789',
      };
      tools[tool] = {
        dir,
        steps: tool === 'compose' ? composeSteps({ dir, env, ports }) : difyctlSteps({ dir, env, ports, bin }),
      };
    }
    const pair = { compose: {}, difyctl: {} };
    try {
      for (const step of STEPS) for (const tool of order) pair[tool][step] = await tools[tool].steps[step]();
      for (const tool of order) rows[tool].push(pair[tool]);
    } catch (error) {
      // A failed step (say, a dist/ rebuilt under it) drops that run; nothing is left behind.
      console.error(
        `run ${i + 1} failed: ${
          String(error.stderr ?? error.message)
            .trim()
            .split('\n')[0]
        }`,
      );
    } finally {
      for (const tool of order) {
        try {
          tools[tool].steps.cleanup();
        } catch {
          // best effort
        }
        rmSync(tools[tool].dir, { recursive: true, force: true });
      }
    }
  }
  if (!rows.compose.length) throw new Error('no run completed');
  const composeVersion = execFileSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).trim();
  const engine = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).trim();
  console.log(
    `\ndb + redis (Dify 0.15) side by side, median of ${rows.compose.length} runs (s): docker-compose ${composeVersion}, Docker ${engine}, load ${os.loadavg()[0].toFixed(1)}`,
  );
  console.log(
    ['', 'fresh', 'stop', 'restart', 'stop+restart', 'recreate']
      .map((h, i) => (i ? h.padStart(13) : h.padEnd(9)))
      .join(''),
  );
  const m = {};
  for (const tool of ['compose', 'difyctl']) {
    const col = (k) => median(rows[tool].map((r) => r[k]));
    m[tool] = {
      fresh: col('fresh'),
      stop: col('stop'),
      restart: col('restart'),
      both: median(rows[tool].map((r) => r.stop + r.restart)),
      recreate: col('recreate'),
    };
    console.log(
      [
        tool.padEnd(9),
        ...['fresh', 'stop', 'restart', 'both', 'recreate'].map((k) => (m[tool][k] / 1000).toFixed(2).padStart(13)),
      ].join(''),
    );
  }
  console.log(
    [
      'ratio'.padEnd(9),
      ...['fresh', 'stop', 'restart', 'both', 'recreate'].map((k) =>
        `${(m.difyctl[k] / m.compose[k]).toFixed(2)}x`.padStart(13),
      ),
    ].join(''),
  );
  // Each step ran for both tools back to back: their ratio is the least disturbed by the machine's load.
  const paired = (k) =>
    median(
      rows.difyctl.map(
        (r, i) =>
          (k === 'both' ? r.stop + r.restart : r[k]) /
          (k === 'both' ? rows.compose[i].stop + rows.compose[i].restart : rows.compose[i][k]),
      ),
    );
  console.log(
    [
      'paired'.padEnd(9),
      ...['fresh', 'stop', 'restart', 'both', 'recreate'].map((k) => `${paired(k).toFixed(2)}x`.padStart(13)),
    ].join(''),
  );
  for (const tool of ['compose', 'difyctl'])
    console.log(
      `${tool} runs: ${JSON.stringify(rows[tool].map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, +(v / 1000).toFixed(2)]))))}`,
    );
}
