import { readReadyMarker } from '../../stack/launch/ready-marker.js';
import { stackState } from '../targets.js';
import { SETTINGS_DO_NOT_PARSE, type Check, type CheckResult } from '../types.js';

/** `/health` answers, how fast, and the ready marker is fresh. */
export const apiHealthCheck: Check = {
  id: 'api.health',
  title: 'API server',
  run: async (ctx): Promise<CheckResult> => {
    const s = ctx.config.typed;
    if (!s) return SETTINGS_DO_NOT_PARSE;
    const url = `http://127.0.0.1:${s.DIFY_PORT}/health`;
    const started = Date.now();
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(2000)]) });
    } catch {
      return {
        status: 'fail',
        finding: `nothing answers at ${url}`,
        fix: 'Start the server: `difyctl up -d`; if it keeps dying, `difyctl logs api --grep Error -A 10`.',
      };
    }
    const ms = Date.now() - started;
    const body = (await response.json().catch(() => ({}))) as {
      status?: string;
      db?: string;
      redis?: string;
      version?: string;
    };
    if (response.status !== 200) {
      return {
        status: 'fail',
        finding: `${url} answered ${response.status} (db ${body.db ?? '?'}, redis ${body.redis ?? '?'})`,
        fix: 'The server runs but a dependency does not answer: see db.connect and redis.',
      };
    }
    const ttl = (await readReadyMarker(s, await stackState(ctx.config)))?.ttlS;
    const marker =
      ttl === undefined
        ? 'no ready marker'
        : `ready marker fresh (${Number.isFinite(ttl) ? `${ttl} s left` : 'no expiry'})`;
    if (ttl === undefined)
      return {
        status: 'warn',
        finding: `healthy in ${ms} ms, but ${marker}`,
        fix: 'The api refreshes `api_service_status` every 30 s: a missing marker means its store writes fail; see `difyctl logs api`.',
      };
    if (ms > 1000)
      return {
        status: 'warn',
        finding: `healthy but slow: ${ms} ms; ${marker}`,
        fix: 'Check api.memory and performance; raise SERVER_WORKER_AMOUNT.',
      };
    return { status: 'ok', finding: `healthy in ${ms} ms (version ${body.version ?? '?'}); ${marker}` };
  },
};
