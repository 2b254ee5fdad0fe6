/**
 * A stack as a user brings it up for the service API acceptance tests: `difyctl init` + `difyctl up
 * -d --mode all` on the embedded default (with redis-server from PATH, or the PostgreSQL fallback),
 * an admin, a model provider pointed at the LLM stand-in, chat and completion apps with keys — all
 * through the console API over HTTP, as Dify's web console would do it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { runCli } from '../helpers/cli.js';
import type { StandIn } from '../helpers/llm-stand-in.js';
import { initProject, NO_DOCKER } from '../helpers/project.js';

// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON
export type Json = Record<string, any>;

export const ADMIN = { email: 'admin@example.com', name: 'Admin', password: 'correct-horse-battery-1' };
export const MODEL = {
  provider: 'openai_api_compatible',
  name: 'stand-in-model',
  mode: 'chat',
  completion_params: { temperature: 0.2, max_tokens: 256 },
};

export interface StackOptions {
  /** true: redis-server from PATH; false: no Redis, PostgreSQL carries its duties. */
  redis: boolean;
  /** Lines appended to the project's .env. */
  env?: Record<string, string>;
}

export interface Stack {
  dir: string;
  /** http://127.0.0.1:DIFY_PORT */
  base: string;
  /** ps --json rows by service. */
  ps: Record<string, Json>;
  db: pg.Pool;
  /** A console API call with the admin's token; throws on a non-2xx answer. */
  console(method: string, route: string, body?: unknown): Promise<Json>;
  /** The rows of a query on the stack's database. */
  sql<R extends pg.QueryResultRow = Json>(text: string, params?: unknown[]): Promise<R[]>;
  down(): Promise<void>;
}

const dotenv = (text: string, key: string): string | undefined =>
  new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1]?.trim();

export async function upStack(options: StackOptions): Promise<Stack> {
  // A Docker socket that does not exist: the embedded default, whatever this machine runs.
  const env = options.redis ? { DOCKER_HOST: NO_DOCKER.DOCKER_HOST } : NO_DOCKER;
  const project = await initProject(env);
  let pool: pg.Pool | undefined;
  const down = async (): Promise<void> => {
    await pool?.end().catch(() => {});
    await project.cleanup();
  };
  try {
    const extra = Object.entries(options.env ?? {})
      .map(([k, v]) => `${k}=${v}\n`)
      .join('');
    if (extra) await import('node:fs/promises').then((fs) => fs.appendFile(path.join(project.dir, '.env'), extra));
    const up = await runCli(['up', '-d', '--mode', 'all'], { cwd: project.dir, env, timeoutMs: 240_000 });
    if (up.exitCode !== 0) throw new Error(`difyctl up failed (${up.exitCode}): ${up.stderr}`);
    const status = JSON.parse((await runCli(['ps', '--json'], { cwd: project.dir, env })).stdout) as {
      data: { services: Json[] };
    };
    const ps = Object.fromEntries(status.data.services.map((s) => [s.service as string, s]));
    const dotEnv = await readFile(path.join(project.dir, '.env'), 'utf8');
    const [host, port] = String(ps.db?.address).split(':');
    pool = new pg.Pool({
      host,
      port: Number(port),
      user: dotenv(dotEnv, 'DB_USERNAME') ?? 'postgres',
      password: dotenv(dotEnv, 'DB_PASSWORD'),
      database: dotenv(dotEnv, 'DB_DATABASE') ?? 'dify',
      max: 2,
    });
    // An idle client dropped when the stack stops is the pool's 'error' event: not an uncaught exception.
    pool.on('error', () => {});
    const db = pool;
    const base = `http://127.0.0.1:${project.port}`;
    const call = async (method: string, route: string, body: unknown, token?: string): Promise<Json> => {
      const res = await fetch(`${base}/console/api${route}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
      return text ? (JSON.parse(text) as Json) : {};
    };
    await call('POST', '/setup', ADMIN);
    const token = (await call('POST', '/login', { email: ADMIN.email, password: ADMIN.password })).data
      .access_token as string;
    return {
      dir: project.dir,
      base,
      ps,
      db,
      console: (method, route, body) => call(method, route, body, token),
      sql: async (text, params) => (await db.query(text, params)).rows,
      down,
    };
  } catch (error) {
    await down();
    throw error;
  }
}

/**
 * The stand-in as the workspace's model: a customizable openai_api_compatible model (validated with a
 * real request, as Dify does) and the workspace's default LLM (names and suggestions use it).
 */
export async function configureProvider(stack: Stack, llm: StandIn): Promise<void> {
  await stack.console('POST', '/workspaces/current/model-providers/openai_api_compatible/models', {
    model: MODEL.name,
    model_type: 'llm',
    credentials: {
      endpoint_url: llm.openaiBaseUrl,
      api_key: 'sk-stand-in-key-0001',
      mode: 'chat',
      context_size: '16000',
    },
  });
  await stack.console('POST', '/workspaces/current/default-model', {
    model_settings: [{ model_type: 'llm', provider: MODEL.provider, model: MODEL.name }],
  });
}

/** An app with its model config and an API key, through the console. */
export async function createApp(
  stack: Stack,
  mode: 'chat' | 'completion',
  config: Json,
): Promise<{ appId: string; key: string }> {
  const appId = (await stack.console('POST', '/apps', { name: `${mode} app`, mode })).id as string;
  await stack.console('POST', `/apps/${appId}/model-config`, { model: MODEL, ...config });
  const key = (await stack.console('POST', `/apps/${appId}/api-keys`)).token as string;
  return { appId, key };
}

/** Polls until `check` returns a value (no fixed sleeps). */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
