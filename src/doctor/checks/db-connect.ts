import { lookup } from 'node:dns/promises';
import { isDifyctlError } from '../../errors/index.js';
import { postgresStrategy } from '../../stack/ready/postgres.js';
import { tcpConnect } from '../../stack/ready/tcp.js';
import { dbTarget, stackState } from '../targets.js';
import { SETTINGS_DO_NOT_PARSE, type Check, type CheckResult } from '../types.js';

/** TCP reachability of DB_HOST:DB_PORT, then the login, then the database; each failure names the variable. */
export const dbConnectCheck: Check = {
  id: 'db.connect',
  title: 'Database connection',
  run: async ({ config }): Promise<CheckResult> => {
    const s = config.typed;
    if (!s) return SETTINGS_DO_NOT_PARSE;
    const target = dbTarget(s, await stackState(config));
    const where = `${target.host}:${target.port}`;
    const services = Object.keys(config.project.compose?.services ?? {});
    try {
      await lookup(target.host);
    } catch {
      return {
        status: 'fail',
        finding: `DB_HOST=${target.host} does not resolve`,
        fix: services.includes(target.host)
          ? `"${target.host}" is a compose service name, only resolvable inside the compose network: run \`difyctl up db\` (difyctl connects through 127.0.0.1), or set DB_HOST=127.0.0.1.`
          : "Set DB_HOST to the database server's name or address.",
      };
    }
    try {
      await tcpConnect({ host: target.host, port: target.port, timeoutMs: 1000 });
    } catch {
      return {
        status: 'fail',
        finding: `nothing answers at ${where} (${target.from})`,
        fix: `Start the database (\`difyctl up db\`, \`difyctl ps\`), or fix DB_HOST/DB_PORT (now ${where}).`,
      };
    }
    const started = Date.now();
    const probe = await postgresStrategy(target).check({ timeoutMs: 2000 });
    if (probe.ok)
      return {
        status: 'ok',
        finding: `${target.user}@${where}/${target.database}: login and SELECT 1 in ${Date.now() - started} ms`,
      };
    const fatal = probe.fatal;
    if (fatal && isDifyctlError(fatal)) {
      if (fatal.code === 'DB.DATABASE_MISSING') {
        return {
          status: 'fail',
          code: fatal.code,
          finding: `login ok, but database "${target.database}" does not exist on ${where}`,
          fix: `${fatal.hint ?? ''} A reused data directory keeps its databases: POSTGRES_DB is only created on an empty one (or \`difyctl db reset\`).`.trim(),
        };
      }
      return { status: 'fail', code: fatal.code, finding: fatal.message, fix: fatal.hint };
    }
    return {
      status: 'fail',
      finding: `${where}: ${probe.reason}`,
      fix: 'Is PostgreSQL still starting? `difyctl logs db -n 30`.',
    };
  },
};
