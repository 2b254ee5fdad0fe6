import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDbExtras, pgSsl } from '../../src/config/db-extras.js';
import { settingsFromEnv } from '../../src/server/settings.js';
import { brokerTarget, cacheTarget } from '../../src/config/redis-target.js';
import { queuePrefix } from '../../src/server/store/queue-bullmq.js';

const base = { SECRET_KEY: 'a-secret-key-long-enough-for-production-use' };
const settings = (env: Record<string, string>) => settingsFromEnv({ ...base, ...env }).settings;
const dir = mkdtempSync(path.join(os.tmpdir(), 'difyctl-managed-'));
const pem = path.join(dir, 'ca.pem');
writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Redis settings as Dify names them', () => {
  it('refuses a combination that cannot work, naming the variable', () => {
    expect(() => settingsFromEnv({ ...base, REDIS_USE_SENTINEL: 'true', REDIS_SENTINEL_SERVICE_NAME: 'm' })).toThrow(
      /REDIS_SENTINELS is required when REDIS_USE_SENTINEL=true/,
    );
    expect(() => settingsFromEnv({ ...base, REDIS_USE_SENTINEL: 'true', REDIS_SENTINELS: 'a:26379' })).toThrow(
      /REDIS_SENTINEL_SERVICE_NAME is required/,
    );
    expect(() =>
      settingsFromEnv({
        ...base,
        REDIS_USE_SENTINEL: 'true',
        REDIS_SENTINELS: 'a:26379,b',
        REDIS_SENTINEL_SERVICE_NAME: 'm',
      }),
    ).toThrow(/REDIS_SENTINELS has "b", expected host:port/);
    expect(() => settingsFromEnv({ ...base, REDIS_USE_CLUSTERS: 'true' })).toThrow(
      /REDIS_CLUSTERS is required when REDIS_USE_CLUSTERS=true/,
    );
    expect(() =>
      settingsFromEnv({
        ...base,
        REDIS_USE_CLUSTERS: 'true',
        REDIS_CLUSTERS: 'a:1',
        REDIS_USE_SENTINEL: 'true',
        REDIS_SENTINELS: 'a:2',
        REDIS_SENTINEL_SERVICE_NAME: 'm',
      }),
    ).toThrow(/REDIS_USE_CLUSTERS cannot be true together with REDIS_USE_SENTINEL/);
    expect(() =>
      settingsFromEnv({
        ...base,
        CELERY_USE_SENTINEL: 'true',
        CELERY_BROKER_URL: 'redis://r:6379/1',
        CELERY_SENTINEL_MASTER_NAME: 'm',
      }),
    ).toThrow(/CELERY_BROKER_URL must be sentinel:\/\//);
    expect(() => settingsFromEnv({ ...base, CELERY_BROKER_URL: 'sentinel://s:26379/1' })).toThrow(
      /CELERY_USE_SENTINEL must be true/,
    );
    expect(() => settingsFromEnv({ ...base, REDIS_SSL_CERTFILE: pem })).toThrow(/REDIS_SSL_KEYFILE is required/);
    expect(() => settingsFromEnv({ ...base, REDIS_SSL_CERT_REQS: 'CERT_MAYBE' })).toThrow(/REDIS_SSL_CERT_REQS/);
  });

  it('finds the master through the sentinels, with Dify socket timeout and the broker on its own sentinels', () => {
    const s = settings({
      REDIS_USE_SENTINEL: 'true',
      REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26380',
      REDIS_SENTINEL_SERVICE_NAME: 'mymaster',
      REDIS_SENTINEL_PASSWORD: 'sp',
      REDIS_PASSWORD: 'dp',
      CELERY_USE_SENTINEL: 'true',
      CELERY_BROKER_URL: 'sentinel://:bp@10.0.0.1:26379/1;sentinel://:bp@10.0.0.2:26380/1',
      CELERY_SENTINEL_MASTER_NAME: 'mymaster',
    });
    expect(s.REDIS_SENTINEL_SOCKET_TIMEOUT).toBe(0.1);
    expect(cacheTarget(s)).toMatchObject({
      kind: 'single',
      options: {
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '10.0.0.2', port: 26380 },
        ],
        name: 'mymaster',
        sentinelPassword: 'sp',
        password: 'dp',
        sentinelCommandTimeout: 100,
      },
    });
    expect(brokerTarget(s)).toMatchObject({
      kind: 'single',
      options: {
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '10.0.0.2', port: 26380 },
        ],
        name: 'mymaster',
        password: 'bp',
        db: 1,
      },
    });
  });

  it("follows the cache's sentinels or cluster when CELERY_BROKER_URL names REDIS_HOST:REDIS_PORT (Dify's sample value)", () => {
    const sentinel = settings({
      REDIS_USE_SENTINEL: 'true',
      REDIS_SENTINELS: 's1:26379',
      REDIS_SENTINEL_SERVICE_NAME: 'mymaster',
      REDIS_PASSWORD: 'dp',
      CELERY_BROKER_URL: 'redis://:dp@redis:6379/1',
    });
    expect(brokerTarget(sentinel)).toMatchObject({
      kind: 'single',
      options: { sentinels: [{ host: 's1', port: 26379 }], name: 'mymaster', db: 1 },
    });
    const cluster = settings({
      REDIS_USE_CLUSTERS: 'true',
      REDIS_CLUSTERS: 'n1:7000',
      CELERY_BROKER_URL: 'redis://:p@redis:6379/1',
    });
    expect(brokerTarget(cluster).kind).toBe('cluster');
    const elsewhere = settings({
      REDIS_USE_SENTINEL: 'true',
      REDIS_SENTINELS: 's1:26379',
      REDIS_SENTINEL_SERVICE_NAME: 'mymaster',
      CELERY_BROKER_URL: 'redis://broker:6379/1',
    });
    expect(brokerTarget(elsewhere)).toMatchObject({ kind: 'single', options: { host: 'broker', port: 6379 } });
  });

  it('puts the queue on the cluster under a one-slot prefix when the broker is a cluster node or unset', () => {
    const cluster = { REDIS_USE_CLUSTERS: 'true', REDIS_CLUSTERS: 'n1:7000,n2:7001', REDIS_CLUSTERS_PASSWORD: 'cp' };
    const onNode = settings({ ...cluster, CELERY_BROKER_URL: 'redis://:cp@n2:7001/0' });
    expect(cacheTarget(onNode)).toMatchObject({
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
      options: { password: 'cp' },
    });
    expect(queuePrefix(brokerTarget(onNode))).toBe('{difyctl}');
    expect(brokerTarget(settings(cluster)).kind).toBe('cluster');
    const elsewhere = brokerTarget(settings({ ...cluster, CELERY_BROKER_URL: 'redis://broker:6379/1' }));
    expect(elsewhere).toMatchObject({ kind: 'single', options: { host: 'broker', port: 6379, db: 1 } });
    expect(queuePrefix(elsewhere)).toBe('difyctl');
  });

  it('maps REDIS_SSL_* to TLS options, and names a file it cannot read', () => {
    expect(cacheTarget(settings({ REDIS_USE_SSL: 'true' })).options.tls).toEqual({ rejectUnauthorized: false });
    const checked = cacheTarget(
      settings({ REDIS_USE_SSL: 'true', REDIS_SSL_CERT_REQS: 'CERT_REQUIRED', REDIS_SSL_CA_CERTS: pem }),
    ).options.tls;
    expect(checked).toMatchObject({ rejectUnauthorized: true });
    expect(String(checked?.ca)).toContain('BEGIN CERTIFICATE');
    expect(() =>
      cacheTarget(settings({ REDIS_USE_SSL: 'true', REDIS_SSL_CA_CERTS: path.join(dir, 'missing.pem') })),
    ).toThrow(/REDIS_SSL_CA_CERTS=.*missing\.pem cannot be read: ENOENT/);
    expect(
      brokerTarget(settings({ REDIS_USE_SSL: 'true', CELERY_BROKER_URL: 'rediss://:p@r:6380/1' })).options.tls,
    ).toEqual({ rejectUnauthorized: false });
    expect(brokerTarget(settings({ CELERY_BROKER_URL: 'redis://:p@r:6380/1' })).options.tls).toBeUndefined();
  });
});

describe('DB_EXTRAS as Dify reads it', () => {
  it('reads sslmode, the CA and a statement_timeout from libpq parameters', () => {
    const { extras, issues } = parseDbExtras(
      `sslmode=verify-full&sslrootcert=${pem}&options=-c statement_timeout=5s -c lock_timeout=1000`,
    );
    expect(issues).toEqual([]);
    expect(extras).toMatchObject({
      sslmode: 'verify-full',
      sslrootcert: pem,
      statementTimeoutMs: 5000,
      options: '-c lock_timeout=1000',
    });
    const verifyFull = pgSsl(extras);
    expect(verifyFull).toMatchObject({ rejectUnauthorized: true });
    expect(verifyFull ? verifyFull.checkServerIdentity : 'no TLS').toBeUndefined();
    expect(pgSsl(parseDbExtras('sslmode=require').extras)).toEqual({ rejectUnauthorized: false });
    expect(pgSsl(parseDbExtras('sslmode=prefer').extras)).toBe(false);
    expect(pgSsl(parseDbExtras(`sslmode=verify-ca&sslrootcert=${pem}`).extras)).toMatchObject({
      rejectUnauthorized: true,
      checkServerIdentity: expect.any(Function),
    });
  });

  it('refuses an unknown sslmode naming DB_EXTRAS, and warns about a parameter it does not use', () => {
    expect(() => settingsFromEnv({ ...base, DB_EXTRAS: 'sslmode=always' })).toThrow(/DB_EXTRAS has sslmode=always/);
    expect(parseDbExtras('keepalives=1').issues).toMatchObject([{ level: 'warning', key: 'DB_EXTRAS' }]);
  });
});
