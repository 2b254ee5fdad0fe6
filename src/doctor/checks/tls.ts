import { parseDbExtras, pgSsl } from '../../config/db-extras.js';
import { parseNodes, redisTlsOptions } from '../../config/redis-target.js';
import { isDifyctlError } from '../../errors/index.js';
import { dbTarget, redisTarget, stackState } from '../targets.js';
import { inspectTls, judgeTls, postgresSslRequest } from '../tls-probe.js';
import { SETTINGS_DO_NOT_PARSE, type Check, type CheckResult } from '../types.js';
import { ask } from './managed-redis.js';

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const RANK = { ok: 0, warn: 1, fail: 2 } as const;

/** A setting's file that cannot be read is the finding, not a crashed check. */
const unreadable = (error: unknown): CheckResult | undefined =>
  isDifyctlError(error) ? { status: 'fail', finding: error.message, fix: error.hint } : undefined;

/**
 * REDIS_USE_SSL: the TLS handshake with the Redis the api uses (REDIS_HOST:REDIS_PORT, each node of
 * REDIS_CLUSTERS, or the master the sentinels name), the certificate's chain and host name as
 * REDIS_SSL_CERT_REQS checks them, and its expiry.
 */
export const redisTlsCheck: Check = {
  id: 'redis.tls',
  title: 'Redis TLS',
  applies: (config) => config.typed?.REDIS_USE_SSL === true,
  run: async ({ config }): Promise<CheckResult> => {
    const s = config.typed;
    if (!s) return SETTINGS_DO_NOT_PARSE;
    let tls: ReturnType<typeof redisTlsOptions>;
    let targets: Array<{ host: string; port: number }>;
    try {
      tls = redisTlsOptions(s);
      if (s.REDIS_USE_CLUSTERS) targets = parseNodes('REDIS_CLUSTERS', s.REDIS_CLUSTERS);
      else if (s.REDIS_USE_SENTINEL) {
        const [sentinel] = parseNodes('REDIS_SENTINELS', s.REDIS_SENTINELS);
        const auth = { ...sentinel, username: s.REDIS_SENTINEL_USERNAME, password: s.REDIS_SENTINEL_PASSWORD };
        const addr = await ask(auth, 1000, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', s.REDIS_SENTINEL_SERVICE_NAME ?? '');
        if (!Array.isArray(addr))
          return { status: 'skip', finding: 'skipped: the sentinels name no master (see redis.sentinel)' };
        targets = [{ host: String(addr[0]), port: Number(addr[1]) }];
      } else {
        const target = redisTarget(s, await stackState(config));
        if (target === 'none') return { status: 'skip', finding: 'skipped: the stack runs without Redis' };
        targets = [{ host: target.host ?? s.REDIS_HOST, port: target.port ?? s.REDIS_PORT }];
      }
    } catch (error) {
      const bad = unreadable(error);
      if (bad) return bad;
      throw error;
    }
    const verify = s.REDIS_SSL_CERT_REQS !== 'CERT_NONE';
    const results = await Promise.all(
      targets.map(async ({ host, port }): Promise<CheckResult> => {
        const who = `${host}:${port}`;
        try {
          const facts = await inspectTls({ host, port, tls, timeoutMs: 1500 });
          return judgeTls(facts, {
            who,
            verifyChain: verify,
            verifyName: verify,
            mode: `REDIS_SSL_CERT_REQS=${s.REDIS_SSL_CERT_REQS}`,
            caFix:
              'Point REDIS_SSL_CA_CERTS at the CA that signed the server certificate (REDIS_SSL_CERT_REQS=CERT_NONE encrypts without checking).',
          });
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? '';
          const unreachable = ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(code);
          return {
            status: 'fail',
            finding: `${who}: no TLS handshake: ${reason(error)}`,
            fix: unreachable
              ? 'Nothing answers there: fix the Redis address (see the redis check).'
              : 'Is this port TLS (redis `tls-port`)? Set REDIS_USE_SSL=false for a server without TLS.',
          };
        }
      }),
    );
    const worst = results.reduce((a, b) =>
      RANK[b.status as keyof typeof RANK] > RANK[a.status as keyof typeof RANK] ? b : a,
    );
    if (results.length === 1) return worst;
    return { ...worst, details: results.map((r) => `${r.status}: ${r.finding}`) };
  },
};

const TLS_MODES = new Set(['require', 'verify-ca', 'verify-full']);

/**
 * DB_EXTRAS sslmode=require/verify-ca/verify-full: PostgreSQL agrees to TLS, and the certificate's
 * chain (verify-ca, verify-full, or require with an sslrootcert), host name (verify-full) and expiry.
 */
export const dbTlsCheck: Check = {
  id: 'db.tls',
  title: 'Database TLS',
  applies: (config) => TLS_MODES.has(parseDbExtras(config.typed?.DB_EXTRAS).extras.sslmode ?? ''),
  run: async ({ config }): Promise<CheckResult> => {
    const s = config.typed;
    if (!s) return SETTINGS_DO_NOT_PARSE;
    const { extras } = parseDbExtras(s.DB_EXTRAS);
    let tls: ReturnType<typeof pgSsl>;
    try {
      tls = pgSsl(extras);
    } catch (error) {
      const bad = unreadable(error);
      if (bad) return bad;
      throw error;
    }
    const target = dbTarget(s, await stackState(config));
    const who = `${target.host}:${target.port}`;
    if (!tls) return { status: 'skip', finding: `skipped: sslmode=${extras.sslmode ?? 'none'} asks for no TLS` };
    let socket: Awaited<ReturnType<typeof postgresSslRequest>>;
    try {
      socket = await postgresSslRequest(target.host, target.port, 1500);
    } catch (error) {
      const refused = /does not support SSL/.test(reason(error));
      return {
        status: 'fail',
        finding: `${who}: ${reason(error)}`,
        fix: refused
          ? 'Turn TLS on in PostgreSQL (ssl=on with ssl_cert_file/ssl_key_file), or remove sslmode from DB_EXTRAS.'
          : 'The database does not answer: fix DB_HOST/DB_PORT (see the db.connect check).',
      };
    }
    const facts = await inspectTls({ host: target.host, port: target.port, tls, socket, timeoutMs: 1500 });
    return judgeTls(facts, {
      who,
      verifyChain: tls.rejectUnauthorized === true,
      verifyName: extras.sslmode === 'verify-full',
      mode: `sslmode=${extras.sslmode}`,
      caFix:
        'Set sslrootcert in DB_EXTRAS to the CA that signed the server certificate (sslmode=require without it encrypts without checking).',
    });
  },
};
