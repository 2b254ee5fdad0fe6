/**
 * The server on a sentinel-managed Redis (REDIS_USE_SENTINEL, CELERY_USE_SENTINEL): a master, a
 * replica and three sentinels from Debian's binaries. The master is SIGKILLed; the sentinels promote
 * the replica; the api answers again and a task queued before the kill still runs.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import { silentLogger } from '../../src/server/logger.js';
import { openBackends, type Backends, type Task } from '../../src/server/store/index.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startSentinelSet, type SentinelSet } from '../helpers/redis-topologies.js';
import { ADMIN, migratedDatabase, serverEnv, settingsFor } from './server-fixtures.js';
import { readReadyMarkerAt } from '../../src/server/ready-marker.js';
import { cacheTarget } from '../../src/config/redis-target.js';
import { serve, waitFor, type ServedProcess } from './server-serve.js';

let pg: TestPostgres;
let sentinels: SentinelSet;
let app: DifyApp | undefined;
let served: ServedProcess | undefined;
const opened: Backends[] = [];

beforeAll(async () => {
  // openBackends needs a pool only for the PostgreSQL fallback; with Redis on, none is used.
  [pg, sentinels] = await Promise.all([startPostgres(), startSentinelSet()]);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await served?.stop();
  await Promise.all(opened.map((b) => Promise.allSettled([b.queue.close(2000), b.store.close()])));
  await Promise.all([sentinels?.stop(), pg?.stop()]);
});

const login = async (a: DifyApp): Promise<number> =>
  (await a.inject({ method: 'POST', url: '/console/api/login', payload: ADMIN })).statusCode;

describe('Redis through sentinels', () => {
  it('serves /health and a login through the sentinels, survives a master SIGKILL, and keeps a queued task', async () => {
    const db = await migratedDatabase(pg);
    const server = settingsFor(serverEnv({ db, extra: sentinels.env() }));
    expect(server.settings.REDIS_USE_SENTINEL).toBe(true);
    app = await createApp({ settings: server.settings, redisEnabled: true });
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ redis: 'ok' });
    expect((await app.inject({ method: 'POST', url: '/console/api/setup', payload: ADMIN })).statusCode).toBe(201);
    expect(await login(app)).toBe(200);

    // A task queued (through the broker's sentinels) before the master dies, with no worker yet.
    const producer = await openBackends({
      settings: server.settings,
      redisEnabled: true,
      pool: undefined as never,
      logger: silentLogger(),
    });
    opened.push(producer);
    const queued = await producer.queue.enqueue('mail', 'before-failover', { n: 1 });
    await sentinels.replicated();
    // A worker that runs through the failover (its blocking connection must find the new master).
    const survivor = await openBackends({
      settings: server.settings,
      redisEnabled: true,
      pool: undefined as never,
      logger: silentLogger(),
    });
    opened.push(survivor);
    const survived: Task[] = [];
    await survivor.queue.consume({
      queues: ['dataset'],
      concurrency: 1,
      handler: async (task) => void survived.push(task),
    });

    // A `difyctl serve` process under load (four clients on /health, which pings Redis) through the kill.
    // serverEnv without its `redis` option says DIFYCTL_REDIS=none; the sentinels are the Redis here.
    served = await serve({
      env: serverEnv({ db, extra: { ...sentinels.env(), DIFYCTL_REDIS: '', SERVER_WORKER_AMOUNT: '1' } }),
    });
    const url = served.url;
    let loading = true;
    const failures: number[] = [];
    let answered = 0;
    const client = async (): Promise<void> => {
      while (loading) {
        const status = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) }).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) answered++;
        else failures.push(Date.now());
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const clients = Promise.all([client(), client(), client(), client()]);
    onTestFinished(() => {
      loading = false; // also when an expectation failed half-way
    });
    await waitFor(async () => (answered > 20 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the served api to answer under load',
    });

    const oldMaster = sentinels.masterPort;
    await sentinels.killMaster();
    const killedAt = Date.now();
    let firstError: number | undefined;
    const back = await waitFor(
      async () => {
        const status = await login(app!).catch(() => 0);
        if (status !== 200) firstError ??= Date.now();
        return status === 200 && firstError !== undefined ? Date.now() : undefined;
      },
      { timeoutMs: 30_000, what: 'a login after the failover', intervalMs: 100 },
    );
    console.log(
      `[measure] sentinel failover: logins failed from ${firstError! - killedAt} ms to ${back - killedAt} ms after the master SIGKILL (gap ${back - firstError!} ms)`,
    );
    // Every sentinel learns the new master from the others (hello messages): the first may lag a moment.
    await waitFor(async () => ((await sentinels.currentMasterPort()) === sentinels.replicaPort ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the sentinels to name the replica as master',
    });
    expect(sentinels.replicaPort).not.toBe(oldMaster);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    // The served process answers again without a restart, and its ready marker reads through the sentinels.
    const before = answered;
    await waitFor(async () => (answered > before + 20 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the served api to answer after the failover',
    }).catch(async (error: Error) => {
      // What the process says, to tell a stuck client from a slow failover.
      const last = await fetch(`${url}/health`).then(
        async (r) => `${r.status} ${await r.text()}`,
        (e: unknown) => String(e),
      );
      throw new Error(`${error.message}; /health now: ${last}; output: ${served!.output().slice(-2000)}`);
    });
    loading = false;
    await clients;
    const window = failures.length
      ? `${failures[0]! - killedAt}–${failures.at(-1)! - killedAt} ms after the kill`
      : 'none';
    console.log(
      `[measure] served /health under load (4 clients): ${failures.length} failed of ${failures.length + answered}; failures ${window}`,
    );
    expect(served.child.exitCode).toBeNull();
    const marker = await readReadyMarkerAt({
      managedRedis: cacheTarget(server.settings),
      db: { host: db.host, port: db.port, user: db.user, password: db.password, database: db.database },
    });
    expect(marker?.value).toBe('ready');

    // A worker started now (on the new master) runs the task queued before the kill, and a new one.
    const consumer = await openBackends({
      settings: server.settings,
      redisEnabled: true,
      pool: undefined as never,
      logger: silentLogger(),
    });
    opened.push(consumer);
    const ran: Task[] = [];
    await consumer.queue.consume({ queues: ['mail'], concurrency: 1, handler: async (task) => void ran.push(task) });
    const after = await producer.queue.enqueue('mail', 'after-failover', { n: 2 });
    await waitFor(async () => (ran.length >= 2 ? true : undefined), { timeoutMs: 10_000, what: 'both tasks to run' });
    expect(ran.map((t) => t.id).sort()).toEqual([queued, after].sort());
    const throughFailover = await producer.queue.enqueue('dataset', 'to-the-running-worker', {});
    await waitFor(async () => (survived.length ? true : undefined), {
      timeoutMs: 15_000,
      what: 'the worker started before the kill to run a task',
    });
    expect(survived.map((t) => t.id)).toEqual([throughFailover]);
    expect(await producer.queue.state('mail', queued)).toMatchObject({ state: 'completed' });
  }, 60_000);
});
