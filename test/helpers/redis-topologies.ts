/**
 * Redis topologies for tests, from Debian's `redis-server`, `redis-sentinel` and `redis-cli`, on free
 * loopback ports, each in its temp dir:
 *
 *   const s = await startSentinelSet();        // a master, a replica, three sentinels (name "mymaster")
 *   s.env()                                    // REDIS_USE_SENTINEL, REDIS_SENTINELS… for difyctl
 *   await s.killMaster();                      // SIGKILL; the sentinels promote the replica
 *   const c = await startCluster();            // three masters, every slot covered
 *   const t = await startTlsRedis();           // TLS only, with a CA and a certificate made by openssl
 *   await x.stop();
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeTestCertificates } from './tls-certs.js';
import getPort from 'get-port';
import { Redis, type RedisOptions } from 'ioredis';

interface Node {
  port: number;
  process: ChildProcess;
  exited: Promise<void>;
}

async function launch(binary: string, dir: string, name: string, lines: string[]): Promise<Node> {
  const port = await getPort({ host: '127.0.0.1' });
  const config = path.join(dir, `${name}.conf`);
  // A TLS-only server listens on tls-port; its plain port is off.
  const plain = lines.includes('tls-port $PORT') ? 'port 0' : `port ${port}`;
  await writeFile(
    config,
    [
      plain,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `logfile ${path.join(dir, `${name}.log`)}`,
      ...lines.map((l) => l.replaceAll('$PORT', String(port))),
    ].join('\n'),
    { mode: 0o600 },
  );
  const child = spawn(binary, [config], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { port, process: child, exited };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One command on a short-lived connection. */
export async function command(options: RedisOptions, ...args: string[]): Promise<unknown> {
  const client = new Redis({
    ...options,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(args[0] as string, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

const info = async (options: RedisOptions, field: string): Promise<string | undefined> =>
  new RegExp(`^${field}:(.*)$`, 'm').exec(String(await command(options, 'INFO', 'replication')))?.[1]?.trim();

async function stopAll(nodes: Node[], dir: string): Promise<void> {
  for (const node of nodes) {
    if (node.process.exitCode === null && node.process.signalCode === null) node.process.kill('SIGKILL');
  }
  await Promise.all(nodes.map((n) => n.exited));
  await rm(dir, { recursive: true, force: true });
}

export interface SentinelSet {
  password: string;
  sentinelPassword: string;
  masterPort: number;
  replicaPort: number;
  sentinelPorts: number[];
  env(): Record<string, string>;
  /** Waits until the replica has every write the master acknowledged (asynchronous replication). */
  replicated(): Promise<void>;
  killMaster(): Promise<void>;
  /** The port the sentinels name as the master now. */
  currentMasterPort(): Promise<number>;
  stop(): Promise<void>;
}

export async function startSentinelSet(): Promise<SentinelSet> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'difyctl-sentinel-'));
  const password = 'data-pw';
  const sentinelPassword = 'sentinel-pw';
  const auth = [`requirepass ${password}`, `masterauth ${password}`, 'save ""', 'appendonly no'];
  const nodes: Node[] = [];
  try {
    const master = await launch('redis-server', dir, 'master', auth);
    nodes.push(master);
    const replica = await launch('redis-server', dir, 'replica', [...auth, `replicaof 127.0.0.1 ${master.port}`]);
    nodes.push(replica);
    const data = (port: number): RedisOptions => ({ host: '127.0.0.1', port, password });
    await until('the replica to sync', async () => (await info(data(replica.port), 'master_link_status')) === 'up');
    for (let i = 0; i < 3; i++) {
      nodes.push(
        await launch('redis-sentinel', dir, `sentinel${i}`, [
          `requirepass ${sentinelPassword}`,
          `sentinel sentinel-pass ${sentinelPassword}`,
          `sentinel monitor mymaster 127.0.0.1 ${master.port} 2`,
          `sentinel auth-pass mymaster ${password}`,
          'sentinel down-after-milliseconds mymaster 1000',
          'sentinel failover-timeout mymaster 5000',
          'sentinel parallel-syncs mymaster 1',
        ]),
      );
    }
    const sentinelPorts = nodes.slice(2).map((n) => n.port);
    const sentinel = (port: number): RedisOptions => ({ host: '127.0.0.1', port, password: sentinelPassword });
    // A failover needs the sentinels to know each other (hello messages) and the replica.
    for (const port of sentinelPorts) {
      await until(`sentinel ${port} to see its peers and the replica`, async () => {
        const peers = (await command(sentinel(port), 'SENTINEL', 'SENTINELS', 'mymaster')) as unknown[];
        const replicas = (await command(sentinel(port), 'SENTINEL', 'REPLICAS', 'mymaster')) as unknown[];
        return peers.length === 2 && replicas.length === 1;
      });
    }
    const currentMasterPort = async (): Promise<number> =>
      Number(
        (
          (await command(
            sentinel(sentinelPorts[0] as number),
            'SENTINEL',
            'GET-MASTER-ADDR-BY-NAME',
            'mymaster',
          )) as string[]
        )[1],
      );
    return {
      password,
      sentinelPassword,
      masterPort: master.port,
      replicaPort: replica.port,
      sentinelPorts,
      env: () => ({
        REDIS_USE_SENTINEL: 'true',
        REDIS_SENTINELS: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
        REDIS_SENTINEL_SERVICE_NAME: 'mymaster',
        REDIS_SENTINEL_PASSWORD: sentinelPassword,
        REDIS_SENTINEL_SOCKET_TIMEOUT: '0.5',
        REDIS_PASSWORD: password,
        REDIS_DB: '0',
        CELERY_USE_SENTINEL: 'true',
        CELERY_BROKER_URL: sentinelPorts.map((p) => `sentinel://:${password}@127.0.0.1:${p}/1`).join(';'),
        CELERY_SENTINEL_MASTER_NAME: 'mymaster',
        CELERY_SENTINEL_PASSWORD: sentinelPassword,
      }),
      replicated: async () => {
        await until('the replica to catch up', async () => {
          const offset = Number(await info(data(master.port), 'master_repl_offset'));
          return Number(await info(data(replica.port), 'slave_repl_offset')) >= offset;
        });
      },
      killMaster: async () => {
        master.process.kill('SIGKILL');
        await master.exited;
      },
      currentMasterPort,
      stop: () => stopAll(nodes, dir),
    };
  } catch (error) {
    await stopAll(nodes, dir);
    throw error;
  }
}

export interface TestCluster {
  ports: number[];
  password: string;
  env(): Record<string, string>;
  stop(): Promise<void>;
}

/** Three masters (no replicas) sharing the 16384 slots. */
export async function startCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'difyctl-cluster-'));
  const password = 'cluster-pw';
  const nodes: Node[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      nodes.push(
        await launch('redis-server', dir, `node${i}`, [
          'cluster-enabled yes',
          `cluster-config-file nodes-${i}.conf`,
          'cluster-node-timeout 2000',
          `requirepass ${password}`,
          `masterauth ${password}`,
          'save ""',
          'appendonly no',
        ]),
      );
    }
    const ports = nodes.map((n) => n.port);
    for (const port of ports)
      await until(`cluster node ${port}`, async () => (await command({ port, password }, 'PING')) === 'PONG');
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'], {
      env: { ...process.env, REDISCLI_AUTH: password },
      stdio: 'ignore',
    });
    for (const port of ports)
      await until(`cluster_state:ok on ${port}`, async () =>
        String(await command({ port, password }, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
      );
    return {
      ports,
      password,
      env: () => ({
        REDIS_USE_CLUSTERS: 'true',
        REDIS_CLUSTERS: ports.map((p) => `127.0.0.1:${p}`).join(','),
        REDIS_CLUSTERS_PASSWORD: password,
        CELERY_BROKER_URL: '',
      }),
      stop: () => stopAll(nodes, dir),
    };
  } catch (error) {
    await stopAll(nodes, dir);
    throw error;
  }
}

export interface TlsRedis {
  port: number;
  password: string;
  /** The CA's PEM file (REDIS_SSL_CA_CERTS). */
  caFile: string;
  /** A second CA that signed nothing here: a client trusting only it must refuse the server. */
  otherCaFile: string;
  env(): Record<string, string>;
  stop(): Promise<void>;
}

/** A redis-server that speaks TLS only, its certificate (for 127.0.0.1) signed by a CA made here. */
export async function startTlsRedis(): Promise<TlsRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'difyctl-tls-redis-'));
  const nodes: Node[] = [];
  try {
    const file = (name: string) => path.join(dir, name);
    await makeTestCertificates(dir);
    const password = 'tls-pw';
    const node = await launch('redis-server', dir, 'tls', [
      'tls-port $PORT',
      `tls-cert-file ${file('server.pem')}`,
      `tls-key-file ${file('server.key')}`,
      `tls-ca-cert-file ${file('ca.pem')}`,
      'tls-auth-clients no',
      `requirepass ${password}`,
      'save ""',
      'appendonly no',
    ]);
    nodes.push(node);
    const ca = readFileSync(file('ca.pem'));
    await until(
      'the TLS redis-server',
      async () => (await command({ port: node.port, password, tls: { ca } }, 'PING')) === 'PONG',
    );
    return {
      port: node.port,
      password,
      caFile: file('ca.pem'),
      otherCaFile: file('other-ca.pem'),
      env: () => ({
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: String(node.port),
        REDIS_PASSWORD: password,
        REDIS_USE_SSL: 'true',
        REDIS_SSL_CERT_REQS: 'CERT_REQUIRED',
        REDIS_SSL_CA_CERTS: file('ca.pem'),
        CELERY_BROKER_URL: `rediss://:${password}@127.0.0.1:${node.port}/1`,
      }),
      stop: () => stopAll(nodes, dir),
    };
  } catch (error) {
    await stopAll(nodes, dir);
    throw error;
  }
}
