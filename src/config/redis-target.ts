import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { Settings } from './schema.js';
import type { DifyctlError } from '../errors/index.js';
import { configInvalid } from './errors.js';

/**
 * Where a Redis duty connects, from Dify's settings: one server (REDIS_HOST/PORT), a master found
 * through sentinels (REDIS_USE_SENTINEL; ioredis asks them again after a failover), or a cluster
 * (REDIS_USE_CLUSTERS; ioredis follows MOVED/ASK and keeps the slot map). Connection tuning
 * (timeouts, retries) is added by redis-connection.ts.
 */
export type RedisTarget =
  | { kind: 'single'; options: RedisOptions }
  | { kind: 'cluster'; nodes: Array<{ host: string; port: number }>; options: RedisOptions };

export type RedisTargetSettings = Pick<
  Settings,
  | 'REDIS_HOST'
  | 'REDIS_PORT'
  | 'REDIS_USERNAME'
  | 'REDIS_PASSWORD'
  | 'REDIS_DB'
  | 'REDIS_USE_SSL'
  | 'REDIS_SSL_CERT_REQS'
  | 'REDIS_SSL_CA_CERTS'
  | 'REDIS_SSL_CERTFILE'
  | 'REDIS_SSL_KEYFILE'
  | 'REDIS_USE_SENTINEL'
  | 'REDIS_SENTINELS'
  | 'REDIS_SENTINEL_SERVICE_NAME'
  | 'REDIS_SENTINEL_USERNAME'
  | 'REDIS_SENTINEL_PASSWORD'
  | 'REDIS_SENTINEL_SOCKET_TIMEOUT'
  | 'REDIS_USE_CLUSTERS'
  | 'REDIS_CLUSTERS'
  | 'REDIS_CLUSTERS_PASSWORD'
>;
export type BrokerTargetSettings = RedisTargetSettings &
  Pick<
    Settings,
    | 'CELERY_BROKER_URL'
    | 'CELERY_USE_SENTINEL'
    | 'CELERY_SENTINEL_MASTER_NAME'
    | 'CELERY_SENTINEL_PASSWORD'
    | 'CELERY_SENTINEL_SOCKET_TIMEOUT'
    | 'BROKER_USE_SSL'
  >;

/** After a failover the old master, back as a replica, refuses writes with READONLY. */
const reconnectOnReadonly = (error: Error): boolean => error.message.startsWith('READONLY');

const invalid = (variable: string, message: string, hint: string): DifyctlError =>
  configInvalid(`${variable} ${message}`, { hint });

/** `host:port,host:port` → addresses; a bad entry is an error naming the variable. */
export function parseNodes(variable: string, value: string | undefined): Array<{ host: string; port: number }> {
  const entries = (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (!entries.length)
    throw invalid(
      variable,
      'is empty',
      `Set ${variable} to host:port pairs separated by commas, e.g. 10.0.0.1:26379,10.0.0.2:26379`,
    );
  return entries.map((entry) => {
    const match = /^(.+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match?.[1] || port < 1 || port > 65535)
      throw invalid(
        variable,
        `has "${entry}", expected host:port`,
        `Write ${variable} as host:port pairs separated by commas.`,
      );
    return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
  });
}

function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw configInvalid(
      `${variable}=${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      {
        hint: `Point ${variable} at a readable PEM file.`,
      },
    );
  }
}

/** Node TLS options from REDIS_SSL_*: CERT_NONE encrypts without checking; the others check the chain and the host name. */
export function redisTlsOptions(s: RedisTargetSettings): TlsOptions {
  const verify = s.REDIS_SSL_CERT_REQS !== 'CERT_NONE';
  return {
    rejectUnauthorized: verify,
    ...(s.REDIS_SSL_CA_CERTS ? { ca: readPem('REDIS_SSL_CA_CERTS', s.REDIS_SSL_CA_CERTS) } : {}),
    ...(s.REDIS_SSL_CERTFILE ? { cert: readPem('REDIS_SSL_CERTFILE', s.REDIS_SSL_CERTFILE) } : {}),
    ...(s.REDIS_SSL_KEYFILE ? { key: readPem('REDIS_SSL_KEYFILE', s.REDIS_SSL_KEYFILE) } : {}),
  };
}

/** The cache's Redis (cache, rate limits, tokens, locks, ready marker). */
export function cacheTarget(s: RedisTargetSettings): RedisTarget {
  const tls = s.REDIS_USE_SSL ? redisTlsOptions(s) : undefined;
  if (s.REDIS_USE_SENTINEL) {
    if (!s.REDIS_SENTINEL_SERVICE_NAME)
      throw invalid(
        'REDIS_SENTINEL_SERVICE_NAME',
        'is required when REDIS_USE_SENTINEL=true',
        'Set it to the master name the sentinels monitor (`sentinel monitor <name> …`).',
      );
    return {
      kind: 'single',
      options: {
        sentinels: parseNodes('REDIS_SENTINELS', s.REDIS_SENTINELS),
        name: s.REDIS_SENTINEL_SERVICE_NAME,
        sentinelUsername: s.REDIS_SENTINEL_USERNAME,
        sentinelPassword: s.REDIS_SENTINEL_PASSWORD,
        // Dify's socket timeout is 0.1 s, for sentinels on a LAN; a sentinel that misses it is skipped.
        sentinelCommandTimeout: Math.max(1, Math.round(s.REDIS_SENTINEL_SOCKET_TIMEOUT * 1000)),
        // A master that was demoted while the connection stayed up answers READONLY: reconnect, which
        // asks the sentinels again. (ioredis's failoverDetector is not used: under load its
        // disconnect on +switch-master could race the reconnect and leave the client on the old master.)
        reconnectOnError: reconnectOnReadonly,
        username: s.REDIS_USERNAME,
        password: s.REDIS_PASSWORD,
        db: s.REDIS_DB,
        tls,
      },
    };
  }
  if (s.REDIS_USE_CLUSTERS) {
    // As Dify: a cluster has no databases and takes REDIS_CLUSTERS_PASSWORD.
    return {
      kind: 'cluster',
      nodes: parseNodes('REDIS_CLUSTERS', s.REDIS_CLUSTERS),
      options: { password: s.REDIS_CLUSTERS_PASSWORD, tls },
    };
  }
  return {
    kind: 'single',
    options: {
      host: s.REDIS_HOST,
      port: s.REDIS_PORT,
      username: s.REDIS_USERNAME,
      password: s.REDIS_PASSWORD,
      db: s.REDIS_DB,
      tls,
    },
  };
}

const decoded = (v: string): string | undefined => (v ? decodeURIComponent(v) : undefined);

/**
 * The task queue's Redis: CELERY_BROKER_URL when set (Dify points it at `redis://:pw@redis:6379/1`;
 * `sentinel://…;sentinel://…` with CELERY_USE_SENTINEL; a node of REDIS_CLUSTERS means the
 * cluster), the cache's Redis otherwise.
 */
export function brokerTarget(s: BrokerTargetSettings): RedisTarget {
  if (!s.CELERY_BROKER_URL) return cacheTarget(s);
  const urls = s.CELERY_BROKER_URL.split(';').map((u) => new URL(u.trim()));
  const first = urls[0] as URL; // the schema refused an empty value
  const db = Number(first.pathname.replace('/', '') || '0');
  const tls = first.protocol === 'rediss:' || s.BROKER_USE_SSL ? redisTlsOptions(s) : undefined;
  const auth = {
    username: decoded(first.username),
    password: decoded(first.password),
    db: Number.isInteger(db) ? db : 0,
    tls,
  };
  if (s.CELERY_USE_SENTINEL) {
    if (!s.CELERY_SENTINEL_MASTER_NAME)
      throw invalid(
        'CELERY_SENTINEL_MASTER_NAME',
        'is required when CELERY_USE_SENTINEL=true',
        'Set it to the master name the sentinels monitor.',
      );
    return {
      kind: 'single',
      options: {
        ...auth,
        sentinels: urls.map((u) => ({ host: u.hostname, port: Number(u.port || 26379) })),
        name: s.CELERY_SENTINEL_MASTER_NAME,
        sentinelPassword: s.CELERY_SENTINEL_PASSWORD,
        sentinelCommandTimeout: Math.max(1, Math.round(s.CELERY_SENTINEL_SOCKET_TIMEOUT * 1000)),
        reconnectOnError: reconnectOnReadonly,
      },
    };
  }
  if (first.protocol === 'sentinel:')
    throw invalid(
      'CELERY_BROKER_URL',
      'is a sentinel:// URL but CELERY_USE_SENTINEL is not true',
      'Set CELERY_USE_SENTINEL=true and CELERY_SENTINEL_MASTER_NAME, or use redis://host:port/db.',
    );
  const host = first.hostname;
  const port = Number(first.port || 6379);
  if (
    s.REDIS_USE_CLUSTERS &&
    parseNodes('REDIS_CLUSTERS', s.REDIS_CLUSTERS).some((n) => n.host === host && n.port === port)
  )
    return cacheTarget(s);
  // Dify's sample broker URL names the cache's Redis (redis://:pw@redis:6379/1, REDIS_HOST:REDIS_PORT;
  // `up` rewrites both alike): with sentinels or a cluster for the cache, that Redis is reached the same way.
  if ((s.REDIS_USE_SENTINEL || s.REDIS_USE_CLUSTERS) && host === s.REDIS_HOST && port === s.REDIS_PORT) {
    const cache = cacheTarget(s);
    return cache.kind === 'cluster' ? cache : { kind: 'single', options: { ...cache.options, db: auth.db } };
  }
  return { kind: 'single', options: { ...auth, host, port } };
}

/** ioredis Cluster options around per-node RedisOptions (retry and queueing live at the top level). */
export function clusterOptions(options: RedisOptions): ClusterOptions {
  const {
    retryStrategy,
    enableOfflineQueue,
    lazyConnect,
    host: _host,
    port: _port,
    db: _db,
    sentinels: _s,
    ...node
  } = options;
  return {
    redisOptions: node,
    lazyConnect,
    clusterRetryStrategy: retryStrategy ? (times) => retryStrategy(times) ?? null : undefined,
    enableOfflineQueue,
    slotsRefreshTimeout: 2000,
    // A managed cluster may announce names a client resolves differently; keep the announced address.
    dnsLookup: (address, callback) => callback(null, address),
  };
}
