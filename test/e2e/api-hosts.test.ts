/**
 * Issue 15, past one machine: N api hosts and one worker host share only PostgreSQL, Redis and a
 * storage folder. Each host is a network namespace (test/helpers/netns.ts) running the built
 * `difyctl serve` bound to its own address; PostgreSQL, Redis and the LLM stand-in run on the
 * network's gateway (this process' namespace), the "third machine". The storage folder is shared
 * as a network file system would be: every host's OPENDAL_FS_ROOT names the same absolute path.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileUrls } from '../../src/server/services/file-urls.js';
import { BIN, baseEnv } from '../helpers/cli.js';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import { createNetwork, netnsUnavailable, type TestNetwork } from '../helpers/netns.js';
import { startPostgres, type PostgresConnection, type TestPostgres } from '../helpers/postgres.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { migratedDatabase, SECRET_KEY } from '../integration/server-fixtures.js';
import { health, waitFor } from '../integration/server-serve.js';
import { ADMIN, type Json, MODEL } from './service-api-stack.js';

const unavailable = netnsUnavailable();
if (unavailable) console.warn(`api-hosts: skipped, ${unavailable}`);

/** 100 chunks of 4 characters, 20 ms apart: about 2 s of streaming. */
const LONG_REPLY = 'abcd'.repeat(100);
const TITLE = 'Tea across hosts';
const PORT = 5001;

describe.skipIf(unavailable)('two api hosts and a worker host against shared PostgreSQL, Redis and storage', () => {
  let net: TestNetwork;
  let pg: TestPostgres;
  let redis: TestRedis;
  let llm: StandIn;
  let db: PostgresConnection;
  let storage: string;
  const output: string[] = [];
  let hostA: string;
  let hostB: string;
  let token: string;
  let refreshToken: string;
  let app: { appId: string; key: string };

  beforeAll(async () => {
    net = await createNetwork(3);
    [pg, redis, llm] = await Promise.all([
      startPostgres({ alsoListen: [net.gateway] }),
      startRedis({ password: 'hosts-redis-pw', alsoBind: [net.gateway] }),
      startStandIn({ reply: LONG_REPLY, chunkSize: 4, latencyMs: 20, host: net.gateway }),
    ]);
    db = await migratedDatabase(pg);
    storage = await mkdtemp(path.join(os.tmpdir(), 'difyctl-shared-storage-'));
    const env = (address: string): Record<string, string | undefined> => ({
      ...baseEnv(),
      NO_COLOR: '1',
      SECRET_KEY,
      DEPLOY_ENV: 'TESTING',
      LOG_LEVEL: 'WARNING',
      DIFY_BIND_ADDRESS: address,
      DIFY_PORT: String(PORT),
      SERVER_WORKER_AMOUNT: '1',
      DB_HOST: net.gateway,
      DB_PORT: String(db.port),
      DB_USERNAME: db.user,
      DB_PASSWORD: db.password,
      DB_DATABASE: db.database,
      SQLALCHEMY_POOL_SIZE: '5',
      REDIS_HOST: net.gateway,
      REDIS_PORT: String(redis.port),
      REDIS_PASSWORD: redis.password,
      CELERY_BROKER_URL: `redis://:${redis.password}@${net.gateway}:${redis.port}/1`,
      STORAGE_TYPE: 'opendal',
      OPENDAL_SCHEME: 'fs',
      OPENDAL_FS_ROOT: storage,
    });
    const start = (host: number, mode: 'api' | 'worker') => {
      const address = net.hosts[host]!.address;
      const child = net.hosts[host]!.spawn(process.execPath, [BIN, 'serve', '--mode', mode], {
        env: env(address),
        extendEnv: false,
        reject: false,
        all: true,
        stdin: 'ignore',
      });
      child.all?.on('data', (d: Buffer) => output.push(`[${mode}@${address}] ${d.toString()}`));
      return `http://${address}:${PORT}`;
    };
    hostA = start(0, 'api');
    hostB = start(1, 'api');
    // Two consumers on the worker host: a task still runs once.
    start(2, 'worker');
    start(2, 'worker');
    for (const url of [hostA, hostB]) {
      await waitFor(async () => ((await health(url)).status === 200 ? true : undefined), {
        timeoutMs: 30_000,
        what: `${url}/health → 200\n${output.join('')}`,
      });
    }
  }, 90_000);

  afterAll(async () => {
    // destroy() stops the hosts' processes first, then removes namespaces and veths.
    await net?.destroy();
    await Promise.all([pg?.stop(), redis?.stop(), llm?.close()]);
    if (storage) await rm(storage, { recursive: true, force: true });
  });

  const call = async (base: string, method: string, route: string, body?: unknown, auth?: string) => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const ok = async (base: string, method: string, route: string, body?: unknown, auth?: string) => {
    const res = await call(base, method, route, body, auth);
    if (res.status >= 300) throw new Error(`${method} ${route} on ${base}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  it('a console login on host A is valid on host B, and B rotates its refresh token', async () => {
    await ok(hostA, 'POST', '/console/api/setup', ADMIN);
    const login = await ok(hostA, 'POST', '/console/api/login', { email: ADMIN.email, password: ADMIN.password });
    token = login.data.access_token as string;
    refreshToken = login.data.refresh_token as string;
    expect((await call(hostB, 'GET', '/console/api/apps', undefined, token)).status).toBe(200);
    const rotated = await ok(hostB, 'POST', '/console/api/refresh-token', { refresh_token: refreshToken });
    expect(rotated.data.access_token).toEqual(expect.any(String));
    // The old refresh token is spent everywhere, host A included.
    expect((await call(hostA, 'POST', '/console/api/refresh-token', { refresh_token: refreshToken })).status).toBe(401);

    // The app the next tests use, set up half on each host.
    await ok(
      hostA,
      'POST',
      '/console/api/workspaces/current/model-providers/openai_api_compatible/models',
      {
        model: MODEL.name,
        model_type: 'llm',
        credentials: { endpoint_url: llm.openaiBaseUrl, api_key: 'sk-stand-in', mode: 'chat', context_size: '16000' },
      },
      token,
    );
    await ok(
      hostB,
      'POST',
      '/console/api/workspaces/current/default-model',
      { model_settings: [{ model_type: 'llm', provider: MODEL.provider, model: MODEL.name }] },
      token,
    );
    const appId = (await ok(hostB, 'POST', '/console/api/apps', { name: 'hosts', mode: 'chat' }, token)).id as string;
    await ok(
      hostA,
      'POST',
      `/console/api/apps/${appId}/model-config`,
      { model: MODEL, pre_prompt: 'Be brief.' },
      token,
    );
    const key = (await ok(hostB, 'POST', `/console/api/apps/${appId}/api-keys`, undefined, token)).token as string;
    app = { appId, key };
  });

  it('a stop request on host A stops the stream host B is sending', async () => {
    const res = await fetch(`${hostB}/v1/chat-messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: {},
        query: 'Talk long',
        user: 'stopper',
        response_mode: 'streaming',
        auto_generate_name: false,
      }),
    });
    expect(res.status).toBe(200);
    const stream = frames(res.body!);
    const first = (await stream.next())!;
    expect(first.event).toBe('message');
    const stop = await ok(hostA, 'POST', `/v1/chat-messages/${first.task_id}/stop`, { user: 'stopper' }, app.key);
    expect(stop).toEqual({ result: 'success' });
    let answer = first.answer as string;
    let last = first;
    for (let e = await stream.next(); e; e = await stream.next()) {
      last = e;
      if (e.event === 'message') answer += e.answer as string;
    }
    expect(last.event).toBe('message_end');
    expect(answer.length).toBeLessThan(LONG_REPLY.length);
    const [row] = (
      await pg.exec<{ status: string; answer: string }>(
        `SELECT status, answer FROM messages WHERE id = '${first.message_id}'`,
        db.database,
      )
    ).rows;
    expect(row).toEqual({ status: 'stopped', answer });
  });

  it('a conversation name enqueued on host A runs once, on the worker host, and shows on host B', async () => {
    llm.setReply(JSON.stringify({ 'Your Output': TITLE }));
    const query = `What is tea? ${Date.now()}`;
    const answer = await ok(
      hostA,
      'POST',
      '/v1/chat-messages',
      { inputs: {}, query, user: 'namer', response_mode: 'blocking' },
      app.key,
    );
    const named = await waitFor(
      async () => {
        const list = await ok(hostB, 'GET', '/v1/conversations?user=namer', undefined, app.key);
        const found = (list.data as Json[]).find((c) => c.id === answer.conversation_id);
        return found?.name === TITLE ? found : undefined;
      },
      { timeoutMs: 30_000, what: `the conversation name\n${output.join('')}` },
    );
    expect(named.name).toBe(TITLE);
    const titleCalls = llm
      .requests()
      .filter((r) => JSON.stringify(r.body).includes('very short title') && JSON.stringify(r.body).includes(query));
    expect(titleCalls).toHaveLength(1);
  });

  it("per-key rate limits (the app's api_rpm) count the requests of both hosts together", async () => {
    await ok(hostA, 'PUT', `/console/api/apps/${app.appId}`, { api_rpm: 4 }, token);
    const limited = (await ok(hostB, 'POST', `/console/api/apps/${app.appId}/api-keys`, undefined, token))
      .token as string;
    const statuses: number[] = [];
    for (const host of [hostA, hostB, hostA, hostB, hostA, hostB])
      statuses.push((await call(host, 'GET', '/v1/meta', undefined, limited)).status);
    // Four in the minute between them, whichever host answered; each host alone would allow four.
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('a file uploaded through host A is served by host B (and A) from the shared storage folder', async () => {
    const bytes = Buffer.from('notes shared between hosts\n');
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'text/plain' }), 'notes.txt');
    form.append('user', 'uploader');
    const upload = await fetch(`${hostA}/v1/files/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.key}` },
      body: form,
    });
    expect(upload.status).toBe(201);
    const { id } = (await upload.json()) as { id: string };
    const tenants = await readdir(path.join(storage, 'upload_files'));
    expect(tenants).toHaveLength(1);
    for (const host of [hostB, hostA]) {
      const link = createFileUrls({ secretKey: SECRET_KEY, filesUrl: host, accessTimeoutSeconds: 300 }).sign(id);
      const res = await fetch(link);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
    }
  });
});

/** Reads SSE frames from a fetch body as they arrive. */
function frames(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  return {
    async next(): Promise<Json | undefined> {
      for (;;) {
        const cut = pending.indexOf('\n\n');
        if (cut >= 0) {
          const frame = pending.slice(0, cut);
          pending = pending.slice(cut + 2);
          if (frame.startsWith('data: ')) return JSON.parse(frame.slice(6)) as Json;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        pending += decoder.decode(value, { stream: true });
      }
    },
  };
}
