import { pgLoginFault } from '../../errors/index.js';
import type { DbConnection } from '../types.js';
import { hostNotFound } from './tcp.js';
import { notReady, reasonOf, type Probe, type ReadinessStrategy } from './strategy.js';
import { dbTlsFailed } from '../errors.js';

/** Node's certificate verification codes (SELF_SIGNED_CERT_IN_CHAIN, ERR_TLS_CERT_ALTNAME_INVALID…). */
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/;

interface PgErrorLike {
  code?: string;
  message?: string;
}

/**
 * Turns a failed login into a probe: wrong credentials and a missing database are fatal with
 * the variable to fix; a server still starting, refusing or resetting is worth waiting on.
 */
export function classifyPgError(error: unknown, conn: DbConnection): Probe {
  const e = (typeof error === 'object' && error !== null ? error : {}) as PgErrorLike; // pg and socket errors both carry `code`
  const where = `${conn.host}:${conn.port}`;
  // DB_EXTRAS asked for TLS and the handshake failed: waiting will not change the certificate.
  if (conn.ssl && (TLS_CODES.test(e.code ?? '') || /does not support SSL|certificate/i.test(e.message ?? ''))) {
    return {
      ok: false,
      reason: e.message ?? 'TLS failed',
      fatal: dbTlsFailed(`TLS to PostgreSQL at ${where} failed: ${e.message ?? e.code}`, {
        hint: 'Fix DB_EXTRAS: sslrootcert=<the CA that signed the server certificate>, sslmode=require to encrypt without checking, or no sslmode for a server without TLS.',
        cause: error,
      }),
    };
  }
  // A refused login, an empty DB_PASSWORD, a missing database: the same error on every path.
  const login = pgLoginFault(error, conn);
  if (login) return { ok: false, reason: login.message, fatal: login };
  switch (e.code) {
    case undefined:
      return notReady(`${where}: ${reasonOf(error)}`);
    case 'ENOTFOUND':
      return {
        ok: false,
        reason: `${conn.host} does not resolve`,
        fatal: hostNotFound({ host: conn.host, hostVar: 'DB_HOST', cause: error }),
      };
    case 'ECONNREFUSED':
      return notReady(`connection refused at ${where}`);
    case '57P03':
      return notReady(`the server is starting up (${e.message ?? ''})`);
    default:
      return notReady(`${where}: ${reasonOf(error)}`);
  }
}

/** Ready when the configured user logs in to the configured database and `SELECT 1` answers. */
export function postgresStrategy(conn: DbConnection): ReadinessStrategy {
  return {
    name: `postgres login ${conn.user}@${conn.host}:${conn.port}/${conn.database}`,
    async check({ timeoutMs }): Promise<Probe> {
      const { loadPg } = await import('./load-pg.js');
      const pg = await loadPg();
      const client = new pg.Client({
        host: conn.host,
        port: conn.port,
        user: conn.user,
        password: conn.password ?? '',
        database: conn.database,
        ssl: conn.ssl, // DB_EXTRAS sslmode: probed the way the api will connect
        connectionTimeoutMillis: Math.max(100, timeoutMs),
        query_timeout: Math.max(100, timeoutMs),
      });
      client.on('error', () => undefined); // a reset after the probe must not crash the process
      try {
        await client.connect();
        await client.query('SELECT 1');
        return { ok: true };
      } catch (error) {
        return classifyPgError(error, conn);
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}
