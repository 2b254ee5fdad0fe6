// Proves the local images built by test/docker/build-images.sh (postgres:15-alpine,
// redis:6-alpine) work as Dify's compose files use them: a container started the compose way,
// with its port published on 127.0.0.1 only, accepts a password login (PostgreSQL: SELECT 1;
// Redis: PING), refuses a wrong one, and passes the compose healthcheck commands inside it.
// Images are never pulled: a missing image is a failure that names the build script.
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDocker } from '../helpers/docker.js';

const LABEL = { 'com.difyctl.test': '1' };
const READY_DEADLINE_MS = 30_000;
const POLL_MS = 100; // <= 250 ms between attempts

const docker = new Docker();
const suffix = `${process.pid}-${randomBytes(3).toString('hex')}`;
const containers: Docker.Container[] = [];
const networks: Docker.Network[] = [];

async function requireImage(tag: string): Promise<void> {
  try {
    await docker.getImage(tag).inspect();
  } catch {
    throw new Error(
      `image ${tag} is not present: build it with test/docker/build-images.sh (it cannot be pulled here)`,
    );
  }
}

/** Create + start a labelled container with `port` published on 127.0.0.1 (a free port the engine picks). */
async function startContainer(
  opts: Docker.ContainerCreateOptions,
  port: string,
): Promise<{ container: Docker.Container; hostPort: number; createdAt: number }> {
  const createdAt = Date.now();
  const container = await docker.createContainer({
    ...opts,
    Labels: { ...LABEL, ...(opts.Labels ?? {}) },
    ExposedPorts: { [port]: {} },
    HostConfig: {
      ...(opts.HostConfig ?? {}),
      PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
    },
  });
  containers.push(container);
  await container.start();
  const info = await container.inspect();
  const binding = info.NetworkSettings.Ports[port]?.find((b) => b.HostIp === '127.0.0.1');
  if (!binding) throw new Error(`no 127.0.0.1 binding for ${port}: ${JSON.stringify(info.NetworkSettings.Ports)}`);
  return { container, hostPort: Number(binding.HostPort), createdAt };
}

/**
 * Retry `attempt` every POLL_MS until it resolves; the last error explains a timeout.
 * `ms` counts from `since` (the container's creation).
 */
async function waitUntil<T>(
  what: string,
  container: Docker.Container,
  since: number,
  attempt: () => Promise<T>,
): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  let lastError: unknown;
  while (Date.now() - t0 < READY_DEADLINE_MS) {
    try {
      return { value: await attempt(), ms: Date.now() - since };
    } catch (err) {
      lastError = err;
    }
    const state = (await container.inspect()).State;
    if (!state.Running) {
      const logs = await container.logs({ stdout: true, stderr: true, tail: 40 });
      throw new Error(`${what}: container exited (${state.ExitCode}) before answering:\n${logs.toString()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`${what}: no answer within ${READY_DEADLINE_MS} ms; last error: ${String(lastError)}`);
}

/** Run a command inside the container (as `docker exec` does for a healthcheck); its exit code. */
async function execExitCode(
  container: Docker.Container,
  cmd: string[],
): Promise<{ code: number | null; output: string }> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode, output: Buffer.concat(chunks).toString('latin1') };
}

async function pgQuery(port: number, password: string, database: string): Promise<number> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database,
    connectionTimeoutMillis: 2_000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const res = await client.query<{ one: number }>('SELECT 1 AS one');
    return res.rows[0]!.one;
  } finally {
    await client.end().catch(() => {});
  }
}

async function redisPing(port: number, password?: string): Promise<string> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    password,
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false, // so a password-less client sees NOAUTH from PING itself
    retryStrategy: () => null,
  });
  // ioredis reports the server's refusal (NOAUTH from its HELLO handshake) as an 'error' event
  // and then rejects with a generic "Connection is closed": surface the real reason.
  let refused: Error | undefined;
  redis.on('error', (err: Error) => {
    refused ??= err;
  });
  try {
    await redis.connect();
    return await redis.ping();
  } catch (err) {
    throw refused ?? err;
  } finally {
    redis.disconnect();
  }
}

async function removeAll(): Promise<void> {
  await Promise.all(containers.splice(0).map((c) => c.remove({ force: true, v: true }).catch(() => {})));
  await Promise.all(networks.splice(0).map((n) => n.remove().catch(() => {})));
}

describeDocker('local Docker images (test/docker/build-images.sh)', () => {
  beforeAll(async () => {
    await requireImage('postgres:15-alpine');
    await requireImage('redis:6-alpine');
  });
  afterAll(removeAll);

  it('postgres:15-alpine: login + SELECT 1 over 127.0.0.1, wrong password refused, compose healthchecks pass', async () => {
    const password = `pw-${suffix}`;
    // docker-compose.yaml's healthcheck runs `pg_isready -h db_postgres ...`: give the
    // container that name on a user-defined network, as compose does.
    const network = await docker.createNetwork({ Name: `difyctl-test-${suffix}`, Labels: LABEL });
    networks.push(network);
    const { container, hostPort, createdAt } = await startContainer(
      {
        name: `difyctl-test-postgres-${suffix}`,
        Image: 'postgres:15-alpine',
        // docker-compose.yaml's db_postgres service
        Env: [
          'POSTGRES_USER=postgres',
          `POSTGRES_PASSWORD=${password}`,
          'POSTGRES_DB=dify',
          'PGDATA=/var/lib/postgresql/data/pgdata',
        ],
        Cmd: [
          'postgres',
          '-c',
          'max_connections=100',
          '-c',
          'shared_buffers=128MB',
          '-c',
          'work_mem=4MB',
          '-c',
          'maintenance_work_mem=64MB',
          '-c',
          'effective_cache_size=4096MB',
          '-c',
          'statement_timeout=0',
          '-c',
          'idle_in_transaction_session_timeout=0',
        ],
        HostConfig: { NetworkMode: `difyctl-test-${suffix}` },
        NetworkingConfig: {
          EndpointsConfig: { [`difyctl-test-${suffix}`]: { Aliases: ['db_postgres', 'db'] } },
        },
      },
      '5432/tcp',
    );
    const { value, ms } = await waitUntil('postgres login', container, createdAt, () =>
      pgQuery(hostPort, password, 'dify'),
    );
    console.log(`postgres:15-alpine accepted a login on 127.0.0.1:${hostPort} ${ms} ms after create`);
    expect(value).toBe(1);

    await expect(pgQuery(hostPort, 'wrong-password', 'dify')).rejects.toThrow(/password authentication failed/);

    const hcNew = await execExitCode(container, ['pg_isready', '-h', 'db_postgres', '-U', 'postgres', '-d', 'dify']);
    expect(hcNew.code, hcNew.output).toBe(0);
    // docker-compose-0.15.yaml: `pg_isready` with PGUSER in the service environment
    const hcOld = await execExitCode(container, ['env', 'PGUSER=postgres', 'pg_isready']);
    expect(hcOld.code, hcOld.output).toBe(0);
  });

  it('redis:6-alpine: PING with the password over 127.0.0.1, none refused, compose healthchecks pass', async () => {
    const password = `pw-${suffix}`;
    const { container, hostPort, createdAt } = await startContainer(
      {
        name: `difyctl-test-redis-${suffix}`,
        Image: 'redis:6-alpine',
        // both compose files: command redis-server --requirepass ..., REDISCLI_AUTH in the env
        Env: [`REDISCLI_AUTH=${password}`],
        Cmd: ['redis-server', '--requirepass', password],
      },
      '6379/tcp',
    );
    const { value, ms } = await waitUntil('redis PING', container, createdAt, () => redisPing(hostPort, password));
    console.log(`redis:6-alpine answered PING on 127.0.0.1:${hostPort} ${ms} ms after create`);
    expect(value).toBe('PONG');

    await expect(redisPing(hostPort)).rejects.toThrow(/NOAUTH/);

    // docker-compose.yaml: CMD-SHELL "redis-cli -a $PW ping | grep -q PONG"
    const hcNew = await execExitCode(container, ['/bin/sh', '-c', `redis-cli -a ${password} ping | grep -q PONG`]);
    expect(hcNew.code, hcNew.output).toBe(0);
    // docker-compose-0.15.yaml: CMD redis-cli ping (password from REDISCLI_AUTH)
    const hcOld = await execExitCode(container, ['redis-cli', 'ping']);
    expect(hcOld.code, hcOld.output).toBe(0);
    expect(hcOld.output).toContain('PONG');
  });
});
