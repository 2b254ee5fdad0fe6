/**
 * Issue 15: `difyctl doctor` on managed dependencies, against real servers — three sentinels
 * agreeing (or not) on the master, a three-master cluster with every slot covered (or not), Redis
 * and PostgreSQL TLS with the certificate's chain, host name and expiry.
 */
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import {
  command,
  startCluster,
  startSentinelSet,
  startTlsRedis,
  type SentinelSet,
  type TestCluster,
  type TlsRedis,
} from '../helpers/redis-topologies.js';
import { makeTestCertificates } from '../helpers/tls-certs.js';

interface Check {
  id: string;
  status: string;
  finding: string;
  fix?: string;
  details?: string[];
}

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** `difyctl doctor --json --only <ids>` in a project whose .env holds `env`. */
async function doctor(ids: string[], env: Record<string, string>): Promise<Record<string, Check>> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const all = {
    DEPLOY_ENV: 'PRODUCTION',
    SECRET_KEY: 'a-fresh-secret-key-that-is-long-enough-0123456789',
    DIFY_PORT: String(await getPort()),
    ...env,
  };
  await writeFile(
    path.join(dir, '.env'),
    `${Object.entries(all)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  const result = await runCli(['doctor', '--json', '--only', ...ids], { cwd: dir });
  const doc = JSON.parse(result.stdout) as { data: { checks: Check[] } };
  return Object.fromEntries(doc.data.checks.map((c) => [c.id, c]));
}

describe('Redis Sentinel', () => {
  let set: SentinelSet;
  let other: TestRedis;
  beforeAll(async () => {
    [set, other] = await Promise.all([startSentinelSet(), startRedis({ password: '' })]);
    cleanups.push(
      () => set.stop(),
      () => other.stop(),
    );
  }, 60_000);

  it('ok when every sentinel names the same master and it answers; redis reaches it as the api does', async () => {
    const checks = await doctor(['redis', 'redis.sentinel'], set.env());
    expect(checks['redis.sentinel']).toMatchObject({
      status: 'ok',
      finding: `3 of 3 sentinels agree on master 127.0.0.1:${set.masterPort}, which answers PING`,
    });
    expect(checks.redis).toMatchObject({ status: 'ok', finding: expect.stringContaining('PONG through') });
  });

  it('warns naming a sentinel that does not answer, while the others agree', async () => {
    const closed = await getPort({ host: '127.0.0.1' });
    const env = set.env();
    const checks = await doctor(['redis.sentinel'], {
      ...env,
      REDIS_SENTINELS: `${env.REDIS_SENTINELS},127.0.0.1:${closed}`,
    });
    expect(checks['redis.sentinel']).toMatchObject({
      status: 'warn',
      finding: expect.stringMatching(new RegExp(`^3 of 4 sentinels agree.*127\\.0\\.0\\.1:${closed}`)),
    });
  });

  it('fails with a wrong service name, and when the sentinels disagree on the master', async () => {
    const wrongName = await doctor(['redis.sentinel'], { ...set.env(), REDIS_SENTINEL_SERVICE_NAME: 'nosuch' });
    expect(wrongName['redis.sentinel']).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('names a master "nosuch"'),
      fix: expect.stringContaining('REDIS_SENTINEL_SERVICE_NAME'),
    });
    // One sentinel now monitors another server under the same name: a split.
    const last = { host: '127.0.0.1', port: set.sentinelPorts[2]!, password: set.sentinelPassword };
    await command(last, 'SENTINEL', 'REMOVE', 'mymaster');
    await command(last, 'SENTINEL', 'MONITOR', 'mymaster', '127.0.0.1', String(other.port), '2');
    const split = await doctor(['redis.sentinel'], set.env());
    expect(split['redis.sentinel']).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('the sentinels disagree on the master of "mymaster"'),
    });
    expect(split['redis.sentinel']?.finding).toContain(`127.0.0.1:${other.port}`);
  });
});

describe('Redis Cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster();
    cleanups.push(() => cluster.stop());
  }, 60_000);

  it('ok when every node reports cluster_state:ok with all slots; fails naming the node once a slot is dropped', async () => {
    const healthy = await doctor(['redis', 'redis.cluster'], cluster.env());
    expect(healthy['redis.cluster']).toMatchObject({
      status: 'ok',
      finding: 'cluster_state:ok on all 3 nodes of REDIS_CLUSTERS, all 16384 slots covered',
    });
    expect(healthy.redis?.status).toBe('ok');
    // The first node of `redis-cli --cluster create` holds slot 0.
    const first = cluster.ports[0]!;
    await command({ port: first, password: cluster.password }, 'CLUSTER', 'DELSLOTS', '0');
    const broken = await doctor(['redis.cluster'], cluster.env());
    expect(broken['redis.cluster']).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining(`127.0.0.1:${first}: `),
    });
    expect(broken['redis.cluster']?.finding).toMatch(/1 slots unassigned/);
  });
});

describe('Redis TLS', () => {
  let redis: TlsRedis;
  beforeAll(async () => {
    redis = await startTlsRedis();
    cleanups.push(() => redis.stop());
  }, 60_000);

  it('reports the handshake and warns that the 2-day test certificate expires soon', async () => {
    const checks = await doctor(['redis', 'redis.tls'], redis.env());
    expect(checks['redis.tls']).toMatchObject({
      status: 'warn',
      finding: expect.stringMatching(
        /^127\.0\.0\.1:\d+: TLS handshake ok \(REDIS_SSL_CERT_REQS=CERT_REQUIRED\); the certificate expires in [01] days/,
      ),
      fix: 'Renew the server certificate before it expires.',
    });
    expect(checks.redis).toMatchObject({ status: 'ok' });
  });

  it('fails naming REDIS_SSL_CA_CERTS when the certificate does not verify against it', async () => {
    const checks = await doctor(['redis.tls'], { ...redis.env(), REDIS_SSL_CA_CERTS: redis.otherCaFile });
    expect(checks['redis.tls']).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('the certificate does not verify'),
      fix: expect.stringContaining('REDIS_SSL_CA_CERTS'),
    });
  });
});

describe('PostgreSQL TLS (DB_EXTRAS sslmode)', () => {
  let certs: string;
  let pg: TestPostgres;
  let plain: TestPostgres;
  beforeAll(async () => {
    // A year's certificate for 127.0.0.1 only: `localhost` is then a name it does not carry.
    certs = await mkdtemp(path.join(os.tmpdir(), 'difyctl-doctor-tls-'));
    cleanups.push(() => rm(certs, { recursive: true, force: true }));
    await makeTestCertificates(certs, { days: 365, altNames: 'IP:127.0.0.1' });
    if (process.getuid?.() === 0) {
      const [uid, gid] = await Promise.all([execa('id', ['-u', 'postgres']), execa('id', ['-g', 'postgres'])]);
      for (const name of ['.', 'server.pem', 'server.key'])
        await chown(path.join(certs, name), Number(uid.stdout), Number(gid.stdout));
    }
    [pg, plain] = await Promise.all([
      startPostgres({
        serverArgs: [
          '-c',
          'ssl=on',
          '-c',
          `ssl_cert_file=${path.join(certs, 'server.pem')}`,
          '-c',
          `ssl_key_file=${path.join(certs, 'server.key')}`,
        ],
      }),
      startPostgres(),
    ]);
    cleanups.push(
      () => pg.stop(),
      () => plain.stop(),
    );
  }, 60_000);

  const ca = () => path.join(certs, 'ca.pem');

  it('verify-full with the CA: ok with the expiry date; require without a CA: ok, saying nothing is checked', async () => {
    const full = await doctor(['db.tls'], { ...pg.env(), DB_EXTRAS: `sslmode=verify-full&sslrootcert=${ca()}` });
    expect(full['db.tls']).toMatchObject({
      status: 'ok',
      finding: expect.stringMatching(
        /^127\.0\.0\.1:\d+: TLS handshake ok \(sslmode=verify-full\), valid until \d{4}-\d\d-\d\d \(36[45] days left\)$/,
      ),
    });
    const require = await doctor(['db.tls'], { ...pg.env(), DB_EXTRAS: 'sslmode=require' });
    expect(require['db.tls']).toMatchObject({
      status: 'ok',
      finding: expect.stringContaining('the client does not verify the certificate'),
    });
  });

  it('verify-full fails on a host name the certificate lacks, and on a CA that did not sign it', async () => {
    const byName = await doctor(['db.tls'], {
      ...pg.env(),
      DB_HOST: 'localhost',
      DB_EXTRAS: `sslmode=verify-full&sslrootcert=${ca()}`,
    });
    expect(byName['db.tls']).toMatchObject({ status: 'fail', finding: expect.stringContaining('localhost') });
    expect(byName['db.tls']?.finding).toMatch(/Host: localhost|IP: 127\.0\.0\.1/);
    const otherCa = await doctor(['db.tls'], {
      ...pg.env(),
      DB_EXTRAS: `sslmode=verify-full&sslrootcert=${path.join(certs, 'other-ca.pem')}`,
    });
    expect(otherCa['db.tls']).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('the certificate does not verify'),
      fix: expect.stringContaining('sslrootcert'),
    });
  });

  it('fails when the server has TLS off', async () => {
    const checks = await doctor(['db.tls'], { ...plain.env(), DB_EXTRAS: 'sslmode=require' });
    expect(checks['db.tls']).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('does not support SSL'),
      fix: expect.stringContaining('sslmode'),
    });
  });
});
