import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { processTree } from '../../stack/launch/own-pids.js';
import { readRunRecord, serviceProcessAlive } from '../../supervision/run-file.js';
import { stackState } from '../targets.js';
import type { Check, CheckResult } from '../types.js';

const MB = 1024 * 1024;

/** Resident memory of a process and its children (a cluster primary with its workers), from /proc. */
async function treeRss(pid: number): Promise<number> {
  let total = 0;
  for (const p of await processTree([pid])) {
    const status = await readFile(`/proc/${p}/status`, 'utf8').catch(() => '');
    total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  }
  return total;
}

async function availableMemory(): Promise<number> {
  const info = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const kb = /MemAvailable:\s+(\d+) kB/.exec(info)?.[1];
  return kb ? Number(kb) * 1024 : os.freemem();
}

/** RSS of api/worker processes and db/redis containers or processes, like `docker stats`, against the host. */
export const apiMemoryCheck: Check = {
  id: 'api.memory',
  title: 'Memory',
  run: async ({ config, env, connect }): Promise<CheckResult> => {
    const state = await stackState(config);
    const records = Object.entries(
      state.services as Record<string, { provider?: string; pid?: number; containerId?: string } | undefined>,
    );
    const engine = records.some(([, r]) => r?.containerId)
      ? await connect({ env, timeoutMs: 1000, recorded: state.engine })
      : undefined;
    const processes = ['api', 'worker'].map(async (service): Promise<[string, number] | undefined> => {
      const run = await readRunRecord(config.project.projectDir, service);
      // Only the recorded process itself, not one that reused its pid since.
      return run?.pid && (await serviceProcessAlive(run)) ? [service, await treeRss(run.pid)] : undefined;
    });
    const dependencies = records.map(async ([name, record]): Promise<[string, number] | undefined> => {
      if (record?.pid) return [name, await treeRss(record.pid)];
      if (!record?.containerId || !engine) return undefined;
      const usage = await engine.memoryUsage(record.containerId).catch(() => undefined);
      return usage ? [name, usage] : undefined;
    });
    // All at once: the check has one budget (3 s) for every process and container.
    const usage = (await Promise.all([...processes, ...dependencies])).filter(
      (u): u is [string, number] => u !== undefined,
    );
    const total = os.totalmem();
    const available = await availableMemory();
    const listed = usage.map(([n, b]) => `${n} ${Math.round(b / MB)} MB`).join(', ') || 'no stack processes found';
    const finding = `${listed}; host ${Math.round(available / MB)} MB available of ${Math.round(total / MB)} MB`;
    if (available < total * 0.05)
      return {
        status: 'fail',
        finding,
        fix: 'The host is nearly out of memory: lower SERVER_WORKER_AMOUNT / CELERY_WORKER_AMOUNT, or stop other services.',
      };
    if (available < total * 0.15)
      return {
        status: 'warn',
        finding,
        fix: 'Memory is tight: lower SERVER_WORKER_AMOUNT or give the host more memory.',
      };
    return { status: 'ok', finding };
  },
};
