/**
 * A server with a model provider pointed at the LLM stand-in, a chat app and a completion app with
 * keys: what the chat/completion message tests start from. `second()` builds another app instance
 * on the same database and store (a second process' worth: stop requests cross between them).
 */
import { createModelRuntime, type ModelRuntimeOptions } from '../../src/model-runtime/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { createApp, type DifyApp } from '../../src/server/app.js';
import { createPool } from '../../src/server/db.js';
import { createLogger, silentLogger } from '../../src/server/logger.js';
import type { StandIn } from '../helpers/llm-stand-in.js';
import type { PostgresConnection, TestPostgres } from '../helpers/postgres.js';
import { createAppWithKey, json, modelConfig, signIn, type Json } from './apps-fixtures.js';
import { migratedDatabase, SECRET_KEY, serverEnv, settingsFor, type TestRedis } from './server-fixtures.js';

export const MODEL = {
  provider: 'openai',
  name: 'gpt-4o-mini',
  mode: 'chat',
  completion_params: { temperature: 0.1, max_tokens: 200 },
};

export interface Harness {
  app: DifyApp;
  db: PostgresConnection;
  auth: { authorization: string };
  tenantId: string;
  chat: { appId: string; key: string };
  completion: { appId: string; key: string };
  /** SQL on the test database. */
  sql<R extends Record<string, unknown>>(text: string): Promise<R[]>;
  /** Another app instance on the same database and store. */
  second(): Promise<DifyApp>;
  close(): Promise<void>;
}

export async function startHarness(input: {
  pg: TestPostgres;
  redis?: TestRedis;
  llm: StandIn;
  runtime?: Partial<ModelRuntimeOptions>;
  /** More server settings (e.g. a pgvector helper's `env`). */
  env?: Record<string, string>;
}): Promise<Harness> {
  const db = await migratedDatabase(input.pg);
  // Uploaded files go to a temp folder, not under the checkout's volumes/.
  const storage = await mkdtemp(path.join(os.tmpdir(), 'difyctl-apps-storage-'));
  const { settings, redisEnabled } = settingsFor(
    serverEnv({
      db,
      redis: input.redis,
      extra: { OPENDAL_FS_ROOT: storage, STORAGE_LOCAL_PATH: storage, ...input.env },
    }),
  );
  const apps: DifyApp[] = [];
  const pools: pg.Pool[] = [];
  // Each instance has its own pool and model runtime, as a separate process would.
  const build = async (): Promise<DifyApp> => {
    // DIFYCTL_TEST_LOG=1 shows the servers' warnings and errors while debugging a test.
    const logger = process.env.DIFYCTL_TEST_LOG ? createLogger({ settings }) : silentLogger();
    const pool = createPool({ settings, logger });
    pools.push(pool);
    const modelRuntime = await createModelRuntime({ pool, secretKey: SECRET_KEY, ...input.runtime });
    const app = await createApp({ settings, redisEnabled, logger, pool, modelRuntime });
    apps.push(app);
    return app;
  };
  const app = await build();
  const auth = await signIn(app);
  const chat = await createAppWithKey(app, auth, 'chat');
  const completion = await createAppWithKey(app, auth, 'completion');
  const sql = async <R extends Record<string, unknown>>(text: string) =>
    (await input.pg.exec<R>(text, db.database)).rows;
  const tenantId = (await sql<{ tenant_id: string }>(`SELECT tenant_id FROM apps WHERE id = '${chat.appId}'`))[0]!
    .tenant_id;
  await app.difyctx.modelRuntime.console.createProviderCredential(tenantId, 'openai', {
    credentials: { openai_api_key: 'sk-stand-in', openai_api_base: input.llm.url },
  });
  for (const [target, extra] of [
    [
      chat,
      {
        pre_prompt: 'You talk to {{name}}.',
        user_input_form: [{ 'text-input': { label: 'Name', variable: 'name', required: true, max_length: 30 } }],
      },
    ],
    [
      completion,
      {
        pre_prompt: 'Write about {{topic}}.',
        user_input_form: [{ 'text-input': { label: 'Topic', variable: 'topic', required: true } }],
      },
    ],
  ] as const) {
    const saved = await app.inject({
      method: 'POST',
      url: `/console/api/apps/${target.appId}/model-config`,
      headers: auth,
      payload: modelConfig({ model: MODEL, ...extra }),
    });
    if (saved.statusCode !== 200) throw new Error(`model config not saved: ${saved.body}`);
  }
  return {
    app,
    db,
    auth,
    tenantId,
    chat,
    completion,
    sql,
    second: build,
    close: async () => {
      // undici may open a spare connection when a fetch is aborted; it would hold close() until the headers timeout.
      for (const a of apps) a.server.closeAllConnections();
      await Promise.all(apps.map((a) => a.close()));
      await Promise.all(pools.map((p) => p.end()));
      await rm(storage, { recursive: true, force: true });
    },
  };
}

/** One blocking answer in the chat app for `user` (it makes that end user and a conversation); its JSON. */
export async function firstAnswer(h: Harness, user: string): Promise<Json> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/chat-messages',
    headers: { authorization: `Bearer ${h.chat.key}` },
    payload: { inputs: { name: 'Ada' }, query: 'hello', user, response_mode: 'blocking' },
  });
  if (res.statusCode !== 200) throw new Error(`first answer for ${user}: ${res.statusCode} ${res.body}`);
  return json(res);
}

/** The events of an SSE body: `data:` JSON objects and `ping`s, in order. Throws on a malformed frame. */
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON
export function sseEvents(body: string): Array<Record<string, any>> {
  if (!body.endsWith('\n\n'))
    throw new Error(`SSE body does not end with a blank line: ${JSON.stringify(body.slice(-40))}`);
  return body
    .slice(0, -2)
    .split('\n\n')
    .map((frame) => {
      if (frame === 'event: ping') return { event: 'ping' };
      if (!frame.startsWith('data: ')) throw new Error(`not an SSE data frame: ${JSON.stringify(frame)}`);
      return JSON.parse(frame.slice(6)) as Record<string, unknown>;
    });
}

/** Waits until `check` returns a value (polling a condition; no fixed sleeps). */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
