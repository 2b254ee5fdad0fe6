import type { ResolvedDependency } from './types.js';

const DEFAULT_PORTS: Record<string, number> = { redis: 6379, rediss: 6379, postgres: 5432, postgresql: 5432 };
const URL_AUTHORITY = /^([a-z][a-z0-9+.-]*):\/\/([^@/?#\s]*@)?(\[[^\]]+\]|[^:/?#\s]+)(?::(\d+))?/i;

interface Rewrite {
  /** The configured host (often a compose service name) and port. */
  from: { host: string; port: number };
  to: { host: string; port: number };
}

function rewrites(deps: ResolvedDependency[]): Rewrite[] {
  const out: Rewrite[] = [];
  for (const dep of deps) {
    if (!dep.connection) continue;
    const to = { host: dep.connection.host, port: dep.connection.port };
    out.push({ from: { host: dep.spec.host, port: dep.spec.port }, to });
    // Other keys may name the compose service directly (PGVECTOR_HOST=db) with its port.
    if (dep.spec.service && dep.spec.service !== dep.spec.host)
      out.push({ from: { host: dep.spec.service, port: dep.spec.port }, to });
  }
  return out;
}

function rewriteUrl(value: string, rules: Rewrite[]): string {
  const m = URL_AUTHORITY.exec(value);
  if (!m) return value;
  const [whole, scheme = '', userinfo = '', host = '', port] = m;
  const effectivePort = port ? Number(port) : DEFAULT_PORTS[scheme.toLowerCase()];
  const rule = rules.find((r) => r.from.host === host && r.from.port === effectivePort);
  if (!rule) return value;
  return `${scheme}://${userinfo}${rule.to.host}:${rule.to.port}${value.slice(whole.length)}`;
}

/**
 * The environment the server gets: wherever a key names a dependency by its configured host and
 * port (DB_HOST/DB_PORT, REDIS_HOST/REDIS_PORT, PGVECTOR_HOST/PGVECTOR_PORT, or inside a URL such as
 * CELERY_BROKER_URL=redis://:pw@redis:6379/1), it is replaced by the address that really serves
 * (127.0.0.1 and the published port): a compose service name does not resolve on the host.
 */
export function resolvedEnvironment(
  env: Record<string, string | undefined>,
  deps: ResolvedDependency[],
): Record<string, string | undefined> {
  const rules = rewrites(deps);
  const out: Record<string, string | undefined> = { ...env };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (key.endsWith('_HOST')) {
      const portKey = `${key.slice(0, -'_HOST'.length)}_PORT`;
      const port = Number(env[portKey] ?? NaN);
      const rule = rules.find((r) => r.from.host === value && (r.from.port === port || env[portKey] === undefined));
      if (rule) {
        out[key] = rule.to.host;
        out[portKey] = String(rule.to.port);
      }
    } else if (value.includes('://')) {
      out[key] = rewriteUrl(value, rules);
    }
  }
  return out;
}
