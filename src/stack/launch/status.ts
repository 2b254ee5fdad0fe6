import { httpStrategy } from '../ready/http.js';
import { readRunRecord, serviceProcessAlive, supervisorAlive } from '../../supervision/run-file.js';
import type { StatusRow } from '../stack-status.js';
import type { ServiceName } from './launch.js';

export interface ServiceRow extends StatusRow {
  restarts?: number;
  /** The api's `api_service_status` marker: ready, or absent. */
  ready?: 'ready' | 'absent';
  logFile?: string;
  supervisorPid?: number;
}

const SERVICES: readonly ServiceName[] = ['api', 'worker'];

const uptimeS = (since: string | undefined) =>
  since ? Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000)) : undefined;

/**
 * api and worker rows for `ps`: from each supervisor's run record, checked live (the supervisor
 * and its process alive, the api's /health), with restarts and the ready marker. A process that
 * runs on after its supervisor died (kill -9 of a foreground `up`, until it follows it down) is
 * `orphaned`, never `stopped`: `down` stops it.
 */
export async function serviceRows(args: {
  projectDir: string;
  readMarker?: () => Promise<{ value: string } | undefined>;
}): Promise<ServiceRow[]> {
  const rows: ServiceRow[] = [];
  for (const service of SERVICES) {
    const record = await readRunRecord(args.projectDir, service);
    if (!record) continue;
    const supervised = await supervisorAlive(record);
    const alive = record.pid !== undefined && (await serviceProcessAlive(record));
    let health = '-';
    if (alive && service === 'api' && record.port)
      health = (await httpStrategy({ url: `http://127.0.0.1:${record.port}/health` }).check({ timeoutMs: 1000 })).ok
        ? 'healthy'
        : 'unhealthy';
    else if (alive) health = 'running';
    const marker =
      alive && service === 'api' && args.readMarker
        ? (await args.readMarker())?.value === 'ready'
          ? 'ready'
          : 'absent'
        : undefined;
    rows.push({
      service,
      provider: 'process',
      state: alive ? (supervised ? 'running' : 'orphaned') : supervised ? record.state : 'stopped',
      health,
      address: service === 'api' && record.port ? `127.0.0.1:${record.port}` : undefined,
      pid: alive ? record.pid : undefined,
      uptimeS: alive ? uptimeS(record.runningSince) : undefined,
      restarts: record.restarts,
      ready: marker,
      logFile: record.logFile,
      supervisorPid: record.supervisorPid,
    });
  }
  return rows;
}
