import os from 'node:os';
import { workerCount } from '../../config/derived.js';
import { SETTINGS_DO_NOT_PARSE, type Check, type CheckResult } from '../types.js';

/** Suggestions from the performance section of Dify's troubleshooting page; never a failure. */
export const performanceCheck: Check = {
  id: 'performance',
  title: 'Performance suggestions',
  run: async ({ config }): Promise<CheckResult> => {
    const s = config.typed;
    if (!s) return SETTINGS_DO_NOT_PARSE;
    const cores = os.availableParallelism();
    const workers = workerCount(s, cores);
    const suggestions: string[] = [];
    if (workers < cores)
      suggestions.push(`SERVER_WORKER_AMOUNT=${cores} (one per core; now ${workers}) or 0 for automatic`);
    if (!s.ENABLE_RESPONSE_COMPRESSION) suggestions.push('ENABLE_RESPONSE_COMPRESSION=true');
    const connections = workers * s.SERVER_WORKER_CONNECTIONS;
    if (s.SQLALCHEMY_POOL_SIZE < Math.min(s.SERVER_WORKER_CONNECTIONS, 30))
      suggestions.push(
        `SQLALCHEMY_POOL_SIZE≥${Math.min(s.SERVER_WORKER_CONNECTIONS, 30)} so each connection can get a database connection`,
      );
    const finding = suggestions.length
      ? `${suggestions.length} suggestion${suggestions.length === 1 ? '' : 's'}: ${suggestions.join('; ')}`
      : `${workers} process${workers === 1 ? '' : 'es'} on ${cores} cores, ${connections} connections, compression on`;
    return {
      status: 'ok',
      finding,
      details: [
        `cores: ${cores}`,
        `workers: ${workers}`,
        `pool: ${s.SQLALCHEMY_POOL_SIZE}+${s.SQLALCHEMY_MAX_OVERFLOW}`,
      ],
    };
  },
};
