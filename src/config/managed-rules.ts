import type { CrossFieldIssue, Settings } from './schema.js';

const HOST_PORT = /^.+:\d{1,5}$/;
const badEntries = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e && !HOST_PORT.test(e));

/**
 * Combinations of Dify's Redis and broker settings that cannot work (sentinel or cluster mode
 * without its nodes, both at once, a sentinel:// broker without CELERY_USE_SENTINEL…): refused
 * with the variable to fix, before anything connects.
 */
export function managedDependencyIssues(s: Settings): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const error = (key: CrossFieldIssue['key'], message: string, hint: string) =>
    issues.push({ level: 'error', key, message, hint });
  if (s.REDIS_USE_SENTINEL && s.REDIS_USE_CLUSTERS)
    error(
      'REDIS_USE_CLUSTERS',
      'cannot be true together with REDIS_USE_SENTINEL',
      'Choose one: sentinels (REDIS_USE_SENTINEL) or a cluster (REDIS_USE_CLUSTERS).',
    );
  if (s.REDIS_USE_SENTINEL) {
    if (!s.REDIS_SENTINELS)
      error(
        'REDIS_SENTINELS',
        'is required when REDIS_USE_SENTINEL=true',
        'Set REDIS_SENTINELS=host:port,host:port (the sentinels, usually port 26379).',
      );
    if (!s.REDIS_SENTINEL_SERVICE_NAME)
      error(
        'REDIS_SENTINEL_SERVICE_NAME',
        'is required when REDIS_USE_SENTINEL=true',
        'Set it to the master name the sentinels monitor (`sentinel monitor <name> …`).',
      );
  }
  for (const key of ['REDIS_SENTINELS', 'REDIS_CLUSTERS'] as const) {
    const bad = badEntries(s[key]);
    if (bad.length)
      error(
        key,
        `has ${bad.map((b) => `"${b}"`).join(', ')}, expected host:port`,
        `Write ${key} as host:port pairs separated by commas.`,
      );
  }
  if (s.REDIS_USE_CLUSTERS && !s.REDIS_CLUSTERS)
    error(
      'REDIS_CLUSTERS',
      'is required when REDIS_USE_CLUSTERS=true',
      'Set REDIS_CLUSTERS=host:port,host:port (any nodes of the cluster).',
    );
  const sentinelBroker = s.CELERY_BROKER_URL?.trim().startsWith('sentinel:') ?? false;
  if (s.CELERY_USE_SENTINEL) {
    if (!sentinelBroker)
      error(
        'CELERY_BROKER_URL',
        'must be sentinel://host:26379/1 (several separated by ;) when CELERY_USE_SENTINEL=true',
        'Point CELERY_BROKER_URL at the sentinels, or set CELERY_USE_SENTINEL=false.',
      );
    if (!s.CELERY_SENTINEL_MASTER_NAME)
      error(
        'CELERY_SENTINEL_MASTER_NAME',
        'is required when CELERY_USE_SENTINEL=true',
        'Set it to the master name the sentinels monitor.',
      );
  } else if (sentinelBroker) {
    error(
      'CELERY_USE_SENTINEL',
      'must be true when CELERY_BROKER_URL is a sentinel:// URL',
      'Set CELERY_USE_SENTINEL=true and CELERY_SENTINEL_MASTER_NAME, or use redis://host:port/db.',
    );
  }
  if (Boolean(s.REDIS_SSL_CERTFILE) !== Boolean(s.REDIS_SSL_KEYFILE))
    error(
      s.REDIS_SSL_CERTFILE ? 'REDIS_SSL_KEYFILE' : 'REDIS_SSL_CERTFILE',
      'is required with the other of REDIS_SSL_CERTFILE / REDIS_SSL_KEYFILE',
      'A client certificate needs both its certificate and its key file.',
    );
  if (!s.REDIS_USE_SSL && (s.REDIS_SSL_CA_CERTS || s.REDIS_SSL_CERTFILE)) {
    issues.push({
      level: 'warning',
      key: 'REDIS_USE_SSL',
      message: 'is false: REDIS_SSL_CA_CERTS / REDIS_SSL_CERTFILE are not used',
      hint: 'Set REDIS_USE_SSL=true to connect to Redis over TLS.',
    });
  }
  return issues;
}
