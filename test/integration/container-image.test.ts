/**
 * Issue 15: deploy/Dockerfile built on the local engine from a locally made Node base
 * (test/docker/build-node-base.sh; nothing can be pulled here), then run as deploy/compose.yaml
 * runs it: `MODE=migrate` once, three `MODE=api` replicas and a `MODE=worker` against the local
 * postgres:15-alpine and redis:6-alpine images, every replica healthy (the image's HEALTHCHECK on
 * /health), served behind one port by a round-robin proxy, as non-root.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/cli.js';
import { describeDocker } from '../helpers/docker.js';
import { waitFor } from './server-serve.js';

const docker = new Docker();
const suffix = `${process.pid}-${randomBytes(3).toString('hex')}`;
const IMAGE = `difyctl:test-${suffix}`;
const BASE = 'difyctl-node-base:20';
const NETWORK = `difyctl-image-${suffix}`;
const LABEL = { 'com.difyctl.test': '1' };
const DB_PASSWORD = `db-${suffix}`;
const REDIS_PASSWORD = `redis-${suffix}`;

const containers: Docker.Container[] = [];
let network: Docker.Network | undefined;
let volume: Docker.Volume | undefined;
let proxy: http.Server | undefined;

const appEnv = (mode: string): string[] => [
  `MODE=${mode}`,
  'SECRET_KEY=container-image-test-secret-key-0123456789',
  'DB_HOST=db',
  'DB_PORT=5432',
  'DB_USERNAME=postgres',
  `DB_PASSWORD=${DB_PASSWORD}`,
  'DB_DATABASE=dify',
  'REDIS_HOST=redis',
  'REDIS_PORT=6379',
  `REDIS_PASSWORD=${REDIS_PASSWORD}`,
  `CELERY_BROKER_URL=redis://:${REDIS_PASSWORD}@redis:6379/1`,
  'SERVER_WORKER_AMOUNT=1',
  'SQLALCHEMY_POOL_SIZE=5',
  'LOG_LEVEL=WARNING',
];

async function run(name: string, options: Docker.ContainerCreateOptions, aliases: string[] = []) {
  const container = await docker.createContainer({
    name: `difyctl-image-${name}-${suffix}`,
    Labels: LABEL,
    ...options,
    HostConfig: { NetworkMode: NETWORK, ...options.HostConfig },
    NetworkingConfig: { EndpointsConfig: { [NETWORK]: { Aliases: aliases } } },
  });
  containers.push(container);
  await container.start();
  return container;
}

const logs = async (c: Docker.Container): Promise<string> =>
  String(await c.logs({ stdout: true, stderr: true, tail: 40 })).replace(/[\x00-\x08]/g, '');

/** A published 127.0.0.1 port of the api container. */
async function hostPort(c: Docker.Container): Promise<number> {
  const info = await c.inspect();
  return Number(info.NetworkSettings.Ports['5001/tcp']?.[0]?.HostPort);
}

/** One port in front of the replicas, each request to the next (round robin); counts who served what. */
function roundRobin(ports: number[]): Promise<{ url: string; served: number[] }> {
  const served = ports.map(() => 0);
  let next = 0;
  proxy = http.createServer((req, res) => {
    const i = next++ % ports.length;
    served[i]! += 1;
    const upstream = http.request(
      { host: '127.0.0.1', port: ports[i], method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    proxy!.listen(0, '127.0.0.1', () => {
      const address = proxy!.address();
      resolve({ url: `http://127.0.0.1:${typeof address === 'object' ? address?.port : 0}`, served });
    }),
  );
}

describeDocker('the container image (deploy/Dockerfile) and its compose layout', () => {
  let apis: Docker.Container[] = [];
  let worker: Docker.Container;

  beforeAll(async () => {
    const env = { ...process.env, NODE_IMAGE: BASE };
    const started = Date.now();
    await execa(path.join(REPO_ROOT, 'test/docker/build-node-base.sh'), [BASE], { env });
    await execa(path.join(REPO_ROOT, 'deploy/build-image.sh'), [IMAGE], { env });
    console.log(`node base + difyctl image built in ${Math.round((Date.now() - started) / 1000)} s`);
    network = await docker.createNetwork({ Name: NETWORK, Labels: LABEL });
    volume = await docker.createVolume({ Name: `difyctl-image-storage-${suffix}`, Labels: LABEL });
    const db = await run(
      'db',
      { Image: 'postgres:15-alpine', Env: [`POSTGRES_PASSWORD=${DB_PASSWORD}`, 'POSTGRES_DB=dify'] },
      ['db'],
    );
    await run('redis', { Image: 'redis:6-alpine', Cmd: ['redis-server', '--requirepass', REDIS_PASSWORD] }, ['redis']);
    // The compose file's db healthcheck: TCP, so the entrypoint's init-time server does not count.
    await waitFor(
      async () => {
        const exec = await db.exec({
          Cmd: ['pg_isready', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'dify'],
          AttachStdout: true,
          AttachStderr: true,
        });
        const stream = await exec.start({ hijack: true, stdin: false });
        await new Promise((resolve, reject) => {
          stream.on('data', () => undefined);
          stream.on('end', resolve);
          stream.on('close', resolve);
          stream.on('error', reject);
        });
        return (await exec.inspect()).ExitCode === 0 ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'postgres to accept TCP logins', intervalMs: 250 },
    );
    const migrate = await run('migrate', { Image: IMAGE, Env: appEnv('migrate') });
    const { StatusCode } = (await migrate.wait()) as { StatusCode: number };
    if (StatusCode !== 0) throw new Error(`MODE=migrate exited ${StatusCode}:\n${await logs(migrate)}`);
    const storage = { Binds: [`${volume.name}:/app/storage`] };
    apis = await Promise.all(
      [0, 1, 2].map((i) =>
        run(`api${i}`, {
          Image: IMAGE,
          Env: appEnv('api'),
          ExposedPorts: { '5001/tcp': {} },
          HostConfig: { ...storage, PortBindings: { '5001/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
        }),
      ),
    );
    worker = await run('worker', { Image: IMAGE, Env: appEnv('worker'), HostConfig: storage });
  }, 400_000);

  afterAll(async () => {
    proxy?.close();
    await Promise.all(containers.map((c) => c.remove({ force: true, v: true }).catch(() => undefined)));
    await network?.remove().catch(() => undefined);
    await volume?.remove().catch(() => undefined);
    await docker
      .getImage(IMAGE)
      .remove()
      .catch(() => undefined);
  });

  it('three api replicas and the worker turn healthy, as the node user (uid 1000)', async () => {
    for (const c of [...apis, worker]) {
      await waitFor(async () => ((await c.inspect()).State.Health?.Status === 'healthy' ? true : undefined), {
        timeoutMs: 90_000,
        what: `${(await c.inspect()).Name} healthy`,
        intervalMs: 500,
      }).catch(async (error: Error) => {
        const health = (await c.inspect()).State.Health;
        throw new Error(`${error.message}: ${JSON.stringify(health?.Log?.slice(-2))}\n${await logs(c)}`);
      });
    }
    const image = await docker.getImage(IMAGE).inspect();
    expect(image.Config.User).toBe('node');
    expect(image.Config.Healthcheck?.Test).toEqual(['CMD', 'node', '/app/deploy/healthcheck.mjs']);
    // docker top runs ps on the host: the numeric uid of the container's processes.
    const top = (await apis[0]!.top({ ps_args: '-o pid,uid,args' })) as { Processes: string[][] };
    const servers = top.Processes.filter((p) => p[2]?.includes('difyctl.js serve'));
    expect(servers.length).toBeGreaterThan(0);
    for (const p of servers) expect(p[1]).toBe('1000');
  }, 180_000);

  it('behind one round-robin port: a login made on one replica works on every replica', async () => {
    const { url, served } = await roundRobin(await Promise.all(apis.map(hostPort)));
    const post = (route: string, body: unknown) =>
      fetch(`${url}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const admin = { email: 'admin@example.com', name: 'Admin', password: 'correct-horse-battery-1' };
    expect((await post('/console/api/setup', admin)).status).toBe(201);
    const login = (await (await post('/console/api/login', admin)).json()) as { data: { access_token: string } };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${url}/console/api/apps`, {
        headers: { authorization: `Bearer ${login.data.access_token}` },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(served).toEqual([3, 3, 2]);
  });

  it('deploy/compose.yaml runs the same layout: migrate once, api ×3, worker, db, redis', async () => {
    const compose = parse(await readFile(path.join(REPO_ROOT, 'deploy/compose.yaml'), 'utf8')) as {
      services: Record<string, { environment?: Record<string, string>; deploy?: { replicas?: number } }>;
    };
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'db', 'migrate', 'redis', 'worker']);
    expect(compose.services.api?.deploy?.replicas).toBe(3);
    expect(compose.services.migrate?.environment?.MODE).toBe('migrate');
    expect(compose.services.worker?.environment?.MODE).toBe('worker');
  });
});
