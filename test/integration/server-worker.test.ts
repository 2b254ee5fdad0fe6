import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import { silentLogger } from '../../src/server/logger.js';
import { startWorker, type RunningWorker } from '../../src/server/worker/run-worker.js';
import type { TestPostgres } from '../helpers/postgres.js';
import {
  ADMIN,
  migratedDatabase,
  serverEnv,
  settingsFor,
  startRedis,
  useServers,
  type TestRedis,
} from './server-fixtures.js';
import { serve, waitFor } from './server-serve.js';

let pg: TestPostgres;
let redis: TestRedis;

useServers((servers) => ({ pg, redis } = servers));

// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, any>;

/** Signs in and creates an app with a conversation, two messages, feedback and a key. */
async function appWithMessages(app: DifyApp, database: string): Promise<{ appId: string; token: string }> {
  await app.inject({ method: 'POST', url: '/console/api/setup', payload: ADMIN });
  const token = json(await app.inject({ method: 'POST', url: '/console/api/login', payload: ADMIN })).data
    .access_token as string;
  const auth = { authorization: `Bearer ${token}` };
  const appId = json(
    await app.inject({
      method: 'POST',
      url: '/console/api/apps',
      headers: auth,
      payload: { name: 'Doomed', mode: 'chat' },
    }),
  ).id as string;
  await app.inject({ method: 'POST', url: `/console/api/apps/${appId}/api-keys`, headers: auth });
  await pg.exec(
    `WITH c AS (INSERT INTO conversations (app_id, mode, from_source) VALUES ('${appId}', 'chat', 'api') RETURNING id),
          m AS (INSERT INTO messages (app_id, conversation_id, query, answer, from_source) SELECT '${appId}', c.id, q, 'a', 'api' FROM c, (VALUES ('hi'), ('again')) v(q) RETURNING id, conversation_id)
     INSERT INTO message_feedbacks (app_id, conversation_id, message_id, rating, from_source) SELECT '${appId}', conversation_id, id, 'like', 'user' FROM m`,
    database,
  );
  return { appId, token };
}

async function countsFor(appId: string, database: string): Promise<Record<string, number>> {
  const { rows } = await pg.exec<Record<string, string>>(
    `SELECT (SELECT count(*) FROM apps WHERE id = '${appId}') AS apps, (SELECT count(*) FROM messages WHERE app_id = '${appId}') AS messages,
            (SELECT count(*) FROM conversations WHERE app_id = '${appId}') AS conversations, (SELECT count(*) FROM message_feedbacks WHERE app_id = '${appId}') AS feedbacks,
            (SELECT count(*) FROM api_tokens WHERE app_id = '${appId}') AS keys`,
    database,
  );
  return Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, Number(v)]));
}

describe.each([
  ['BullMQ on Redis', true],
  ['pg-boss without Redis', false],
])('worker on %s', (_name, withRedis) => {
  let app: DifyApp;
  let worker: RunningWorker;
  let database: string;

  beforeAll(async () => {
    const db = await migratedDatabase(pg);
    database = db.database;
    const server = settingsFor(serverEnv({ db, redis: withRedis ? redis : undefined }));
    app = await createApp({ settings: server.settings, redisEnabled: server.redisEnabled });
    worker = await startWorker({
      server,
      queues: ['app_deletion', 'dataset', 'mail', 'ops_trace'],
      logger: silentLogger(),
      retry: { attempts: 3, backoffMs: 20 },
      pollingIntervalSeconds: 0.5,
    });
  });
  afterAll(async () => {
    await worker?.stop(5000);
    await app?.close();
  });

  it('removes a deleted app and all its messages, conversations, feedback and keys', async () => {
    const { appId, token } = await appWithMessages(app, database);
    expect(await countsFor(appId, database)).toEqual({ apps: 1, messages: 2, conversations: 1, feedbacks: 2, keys: 1 });
    const res = await app.inject({
      method: 'DELETE',
      url: `/console/api/apps/${appId}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(204);
    const counts = await waitFor(
      async () => {
        const c = await countsFor(appId, database);
        return c.apps === 0 ? c : undefined;
      },
      { timeoutMs: 15_000, what: 'the worker to remove the app' },
    );
    expect(counts).toEqual({ apps: 0, messages: 0, conversations: 0, feedbacks: 0, keys: 0 });
  });

  it('retries a task that throws, then records it as failed', async () => {
    const id = await worker.backends.queue.enqueue('app_deletion', 'remove_app_and_related_data', {
      app_id: 'not-a-uuid',
    });
    const state = await waitFor(
      async () => {
        const s = await worker.backends.queue.state('app_deletion', id);
        return s?.state === 'failed' ? s : undefined;
      },
      { timeoutMs: 20_000, what: 'the task to be marked failed', intervalMs: 100 },
    );
    expect(state.failedAttempts).toBe(3);
    expect(state.error).toMatch(/app_id must be a UUID/);
  });
});

describe('Redis going away', () => {
  it('answers 503 (not 500) to a deletion, a login and a refresh, and leaves the app as it was', async () => {
    const broker = await startRedis();
    const db = await migratedDatabase(pg);
    const server = settingsFor(serverEnv({ db, redis: broker }));
    const app = await createApp({ settings: server.settings, redisEnabled: true });
    try {
      const { appId, token } = await appWithMessages(app, db.database);
      await broker.stop();
      // The login rate limit and the refresh tokens live in Redis too.
      const login = await app.inject({ method: 'POST', url: '/console/api/login', payload: ADMIN });
      expect(JSON.parse(login.body)).toMatchObject({ code: 'service_unavailable', status: 503 });
      const refresh = await app.inject({
        method: 'POST',
        url: '/console/api/refresh-token',
        payload: { refresh_token: 'x'.repeat(43) },
      });
      expect(JSON.parse(refresh.body)).toMatchObject({ code: 'service_unavailable', status: 503 });
      const res = await app.inject({
        method: 'DELETE',
        url: `/console/api/apps/${appId}`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(503);
      const { rows } = await pg.exec<{ status: string }>(`SELECT status FROM apps WHERE id = '${appId}'`, db.database);
      expect(rows[0]?.status).toBe('normal');
    } finally {
      await app.close();
      await broker.stop();
    }
  });
});

describe('difyctl serve --mode worker', () => {
  it('consumes app_deletion as a process and exits 0 on SIGTERM', async () => {
    const db = await migratedDatabase(pg);
    const env = serverEnv({ db, redis, extra: { LOG_LEVEL: 'INFO' } });
    const server = settingsFor(env);
    const app = await createApp({ settings: server.settings, redisEnabled: true });
    const worker = await serve({ env, args: ['--mode', 'worker', '--queues', 'app_deletion,mail'] });
    try {
      await worker.waitForOutput(/worker consuming/);
      const { appId, token } = await appWithMessages(app, db.database);
      await app.inject({
        method: 'DELETE',
        url: `/console/api/apps/${appId}`,
        headers: { authorization: `Bearer ${token}` },
      });
      await waitFor(async () => ((await countsFor(appId, db.database)).apps === 0 ? true : undefined), {
        timeoutMs: 15_000,
        what: 'the worker process to remove the app',
      });
      expect(await countsFor(appId, db.database)).toEqual({
        apps: 0,
        messages: 0,
        conversations: 0,
        feedbacks: 0,
        keys: 0,
      });
      worker.child.kill('SIGTERM');
      expect((await worker.child).exitCode).toBe(0);
    } finally {
      await worker.stop();
      await app.close();
    }
  });

  it('finishes the task it is running when SIGTERM arrives, then exits 0', async () => {
    const db = await migratedDatabase(pg);
    const env = serverEnv({ db, redis, extra: { LOG_LEVEL: 'INFO' } });
    const app = await createApp({ settings: settingsFor(env).settings, redisEnabled: true });
    const worker = await serve({ env, args: ['--mode', 'worker', '--queues', 'app_deletion'] });
    try {
      await worker.waitForOutput(/worker consuming/);
      const { appId, token } = await appWithMessages(app, db.database);
      // Enough messages that the batched cascade is still running when the signal arrives.
      await pg.exec(
        `INSERT INTO messages (app_id, conversation_id, query, from_source) SELECT app_id, conversation_id, 'q' || g, 'api' FROM messages, generate_series(1, 100000) g WHERE app_id = '${appId}' LIMIT 100000`,
        db.database,
      );
      await app.inject({
        method: 'DELETE',
        url: `/console/api/apps/${appId}`,
        headers: { authorization: `Bearer ${token}` },
      });
      await waitFor(
        async () => {
          const c = await countsFor(appId, db.database);
          return c.messages < 100_002 && c.messages > 0 ? true : undefined;
        },
        { timeoutMs: 15_000, what: 'the cascade to be under way', intervalMs: 20 },
      );
      worker.child.kill('SIGTERM');
      expect((await worker.child).exitCode).toBe(0);
      expect(await countsFor(appId, db.database)).toEqual({
        apps: 0,
        messages: 0,
        conversations: 0,
        feedbacks: 0,
        keys: 0,
      });
      const log = worker.output();
      expect(log.indexOf('worker stopping')).toBeGreaterThan(-1);
      expect(log.indexOf('worker stopping')).toBeLessThan(log.indexOf('app and its data removed'));
    } finally {
      await worker.stop();
      await app.close();
    }
  });

  it('refuses an unknown queue with a usage error', async () => {
    const db = await migratedDatabase(pg);
    const worker = await serve({ env: serverEnv({ db }), args: ['--mode', 'worker', '--queues', 'emails'] });
    const result = await worker.child;
    expect(result.exitCode).toBe(2);
    expect(worker.output()).toMatch(/Unknown queue emails/);
  });
});
