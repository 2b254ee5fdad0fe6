/**
 * `difyctl up` attaching to a managed Redis: sentinels (a master, a replica, three sentinels), a
 * three-master cluster and a TLS-only server, from Debian's binaries. Nothing is started for redis;
 * bad credentials or certificates fail with the variable to fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import {
  startCluster,
  startSentinelSet,
  startTlsRedis,
  type SentinelSet,
  type TestCluster,
  type TlsRedis,
} from '../helpers/redis-topologies.js';

const base = {
  SECRET_KEY: 'managed-redis-test-secret-key-0123456789',
  DOCKER_HOST: 'unix:///nonexistent/difyctl-test/docker.sock',
};

interface Envelope {
  ok: boolean;
  data: {
    services: Array<{
      service: string;
      provider: string;
      address: string | null;
      pid: number | null;
      container: string | null;
    }>;
  } | null;
  error?: { code: string; message: string; hint?: string };
}

let sentinels: SentinelSet;
let cluster: TestCluster;
let tls: TlsRedis;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  [sentinels, cluster, tls] = await Promise.all([startSentinelSet(), startCluster(), startTlsRedis()]);
  ({ dir, cleanup } = await tempDir('difyctl-managed-redis-'));
}, 60_000);
afterAll(async () => {
  await Promise.all([sentinels?.stop(), cluster?.stop(), tls?.stop(), cleanup?.()]);
});

const up = async (env: Record<string, string>): Promise<Envelope> => {
  const run = await runCli(['up', 'redis', '--json'], { cwd: dir, env: { ...base, ...env } });
  return JSON.parse(run.stdout) as Envelope;
};

describe('up attaches to a managed Redis', () => {
  it("through the sentinels (REDIS_HOST left at Dify's default), and names REDIS_SENTINEL_PASSWORD when the sentinels refuse it", async () => {
    const ok = await up(sentinels.env());
    expect(ok.ok, JSON.stringify(ok.error)).toBe(true);
    expect(ok.data!.services).toEqual([
      expect.objectContaining({
        service: 'redis',
        provider: 'external',
        address: `127.0.0.1:${sentinels.sentinelPorts[0]}`,
        pid: null,
        container: null,
      }),
    ]);
    const refused = await up({ ...sentinels.env(), REDIS_SENTINEL_PASSWORD: 'not-the-sentinel-pw' });
    expect(refused.error?.code).toBe('REDIS.AUTH_FAILED');
    expect(refused.error?.hint).toContain('REDIS_SENTINEL_PASSWORD');
    expect(JSON.stringify(refused)).not.toContain('not-the-sentinel-pw');
  }, 30_000);

  it('to a cluster, and refuses REDIS_USE_CLUSTERS without REDIS_CLUSTERS naming it', async () => {
    const ok = await up(cluster.env());
    expect(ok.ok, JSON.stringify(ok.error)).toBe(true);
    expect(ok.data!.services).toEqual([
      expect.objectContaining({ service: 'redis', provider: 'external', address: `127.0.0.1:${cluster.ports[0]}` }),
    ]);
    const missing = await up({ REDIS_USE_CLUSTERS: 'true' });
    expect(missing.error?.code).toBe('CONFIG.INVALID');
    expect(missing.error?.message).toContain('REDIS_CLUSTERS');
  }, 30_000);

  it('over TLS with the CA checked, and fails with REDIS.TLS_FAILED naming REDIS_SSL_CA_CERTS for another CA', async () => {
    const ok = await up(tls.env());
    expect(ok.ok, JSON.stringify(ok.error)).toBe(true);
    expect(ok.data!.services).toEqual([
      expect.objectContaining({ service: 'redis', provider: 'external', address: `127.0.0.1:${tls.port}` }),
    ]);
    const wrongCa = await up({ ...tls.env(), REDIS_SSL_CA_CERTS: tls.otherCaFile });
    expect(wrongCa.error?.code).toBe('REDIS.TLS_FAILED');
    expect(wrongCa.error?.hint).toContain('REDIS_SSL_CA_CERTS');
  }, 30_000);
});
