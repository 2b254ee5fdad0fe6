/**
 * The server on a Redis Cluster (REDIS_USE_CLUSTERS): three masters from Debian's redis-server,
 * joined by `redis-cli --cluster create`. Keys land on every node; the queue keeps its keys in one
 * slot (`{difyctl}`).
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import { silentLogger } from '../../src/server/logger.js';
import { openBackends, type Backends, type Task } from '../../src/server/store/index.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { command, startCluster, type TestCluster } from '../helpers/redis-topologies.js';
import { ADMIN, migratedDatabase, serverEnv, settingsFor } from './server-fixtures.js';
import { waitFor } from './server-serve.js';

let pg: TestPostgres;
let cluster: TestCluster;
let app: DifyApp | undefined;
let backends: Backends | undefined;

beforeAll(async () => {
  [pg, cluster] = await Promise.all([startPostgres(), startCluster()]);
}, 60_000);
afterAll(async () => {
  await app?.close();
  if (backends) await Promise.allSettled([backends.queue.close(2000), backends.store.close()]);
  await Promise.all([cluster?.stop(), pg?.stop()]);
});

describe('Redis Cluster', () => {
  it('serves a login, keeps keys and rate limits across slots, and runs queued tasks', async () => {
    const db = await migratedDatabase(pg);
    const server = settingsFor(serverEnv({ db, extra: cluster.env() }));
    app = await createApp({ settings: server.settings, redisEnabled: true });
    expect((await app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({
      status: 'healthy',
      redis: 'ok',
    });
    expect((await app.inject({ method: 'POST', url: '/console/api/setup', payload: ADMIN })).statusCode).toBe(201);
    const login = await app.inject({ method: 'POST', url: '/console/api/login', payload: ADMIN });
    expect(login.statusCode).toBe(200);
    const token = (login.json() as { data: { access_token: string } }).data.access_token;
    expect(
      (await app.inject({ method: 'GET', url: '/console/api/apps', headers: { authorization: `Bearer ${token}` } }))
        .statusCode,
    ).toBe(200);

    // openBackends needs a pool only for the PostgreSQL fallback; with Redis on, none is used.
    backends = await openBackends({
      settings: server.settings,
      redisEnabled: true,
      pool: undefined as never,
      logger: silentLogger(),
    });
    const { kv } = backends.store;
    const keys = Array.from({ length: 20 }, (_, i) => `managed-test:${i}`);
    for (const key of keys.slice(0, 10)) await kv.set(key, 'v', 60);
    // Twenty keys spread over the three masters: a multi-key read must not hit CROSSSLOT.
    expect([...(await kv.present(keys))].sort()).toEqual(keys.slice(0, 10).sort());
    const owners = new Set(
      await Promise.all(
        keys.map(
          async (k) =>
            Number(await command({ port: cluster.ports[0], password: cluster.password }, 'CLUSTER', 'KEYSLOT', k)) % 3,
        ),
      ),
    );
    expect(owners.size).toBeGreaterThan(1);
    expect(await kv.setIfAbsent('managed-test:lock', 'me', 30)).toBe(true);
    expect(await kv.deleteIfValue('managed-test:lock', 'me')).toBe(true);

    const limiter = backends.store.rateLimiter({ prefix: 'managed-test', points: 2, durationSeconds: 60 });
    const counts = [await limiter.consume('k'), await limiter.consume('k'), await limiter.consume('k')];
    expect(counts.map((c) => c.allowed)).toEqual([true, true, false]);

    const ran: Task[] = [];
    await backends.queue.consume({ queues: ['mail'], concurrency: 1, handler: async (task) => void ran.push(task) });
    const ids = [
      await backends.queue.enqueue('mail', 'one', { n: 1 }),
      await backends.queue.enqueue('mail', 'two', { n: 2 }),
    ];
    await waitFor(async () => (ran.length === 2 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'both tasks to run on the cluster',
    });
    expect(ran.map((t) => t.id).sort()).toEqual([...ids].sort());
    expect(await backends.queue.state('mail', ids[0] as string)).toMatchObject({ state: 'completed' });

    // Every queue key carries the hash tag, so they all live in one slot.
    const reader = new Cluster(
      cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
      { redisOptions: { password: cluster.password } },
    );
    try {
      await new Promise((resolve) => reader.once('ready', resolve));
      const queueKeys = (await Promise.all(reader.nodes('master').map((node) => node.keys('*difyctl*')))).flat();
      expect(queueKeys.length).toBeGreaterThan(0);
      expect(queueKeys.every((k) => k.startsWith('{difyctl}:'))).toBe(true);
    } finally {
      reader.disconnect();
    }
  }, 60_000);
});
