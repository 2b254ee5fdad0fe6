import { tcpAnswers } from '../../stack/ready/tcp.js';
import { findPortHolder, dockerProxyTarget } from '../port-holder.js';
import type { Check, CheckResult } from '../types.js';

export interface PortClaim {
  port: number;
  /** The setting that chose the port, for the fix. */
  setting: string;
  /** What of this stack should hold it (api, db, redis). */
  owner: string;
}

/** The ports the stack wants on the host: DIFY_PORT and the published db/redis ports. */
export function portClaims(ctx: Parameters<Check['run']>[0]): PortClaim[] {
  const s = ctx.config.typed;
  const claims: PortClaim[] = [];
  if (s) claims.push({ port: s.DIFY_PORT, setting: 'DIFY_PORT', owner: 'api' });
  for (const [setting, owner] of [
    ['EXPOSE_DB_PORT', 'db'],
    ['EXPOSE_REDIS_PORT', 'redis'],
  ] as const) {
    const value = Number(ctx.config.project.lookup(setting));
    if (Number.isInteger(value) && value > 0) claims.push({ port: value, setting, owner });
  }
  return claims;
}

export interface PortsCheckOptions {
  /** Pids and container-forwarders that belong to this stack (from the stack state). */
  ownPids?: (ctx: Parameters<Check['run']>[0]) => Promise<Set<number>>;
  /** Host ports this stack's containers publish → container name (their docker-proxy is the stack's). */
  ownPorts?: (ctx: Parameters<Check['run']>[0]) => Promise<Map<number, string>>;
}

/** DIFY_PORT and the published ports are free or held by this stack; names the holder otherwise. */
export function createPortsCheck(options: PortsCheckOptions = {}): Check {
  return {
    id: 'ports',
    title: 'Ports',
    run: async (ctx): Promise<CheckResult> => {
      const claims = portClaims(ctx);
      if (!claims.length) return { status: 'skip', finding: 'skipped: no ports configured' };
      const [own, published] = await Promise.all([
        options.ownPids?.(ctx) ?? new Set<number>(),
        options.ownPorts?.(ctx) ?? new Map<number, string>(),
      ]);
      const details: string[] = [];
      for (const claim of claims) {
        if (!(await tcpAnswers({ host: '127.0.0.1', port: claim.port, timeoutMs: 500 }))) {
          details.push(`${claim.setting}=${claim.port}: free`);
          continue;
        }
        const container = published.get(claim.port);
        if (container) {
          details.push(
            `${claim.setting}=${claim.port}: published by this stack's ${claim.owner} container ${container}`,
          );
          continue;
        }
        const holder = await findPortHolder(claim.port);
        if (holder && own.has(holder.pid)) {
          details.push(`${claim.setting}=${claim.port}: held by this stack's ${claim.owner} (pid ${holder.pid})`);
          continue;
        }
        const proxy = holder ? dockerProxyTarget(holder.command) : undefined;
        const who = holder
          ? proxy
            ? `a Docker container (docker-proxy pid ${holder.pid} → ${proxy.ip}:${proxy.port})`
            : `pid ${holder.pid} (${holder.command.slice(0, 80)})`
          : 'a process difyctl cannot see';
        return {
          status: 'fail',
          finding: `port ${claim.port} (${claim.setting}) is taken by ${who}`,
          fix: `Stop it${holder ? ` (\`kill ${holder.pid}\`${proxy ? ' or `docker ps` to find the container' : ''})` : ''}, or set ${claim.setting} to a free port in .env.`,
          details,
        };
      }
      return {
        status: 'ok',
        finding: `${claims.map((c) => `${c.port}`).join(', ')} free or held by this stack`,
        details,
      };
    },
  };
}
