import type { Output } from '../output/output.js';
import { displayValue } from '../output/printable.js';
import { renderTable } from '../output/table.js';
import type { ResolvedDependency, StackEvent, StatusRow } from '../stack/index.js';

/** Plain progress lines on stderr (CI, pipes); one per change, never secrets. */
export function stackReporter(out: Output): (event: StackEvent) => void {
  const layers = new Map<string, string>();
  return (event) => {
    switch (event.type) {
      case 'provider':
        out.info(`${event.dependency}: ${event.provider} (${event.reason})`);
        break;
      case 'starting':
        out.info(`${event.dependency}: ${event.detail}`);
        break;
      case 'waiting':
        out.debug(`${event.dependency}: waiting: ${event.reason}`);
        break;
      case 'pull-progress': {
        const key = `${event.image} ${event.layer ?? ''}`;
        if (layers.get(key) === event.status) break;
        layers.set(key, event.status);
        const size = event.total
          ? ` ${Math.round((event.current ?? 0) / 1e6)}/${Math.round(event.total / 1e6)} MB`
          : '';
        out.info(`pull ${event.image}${event.layer ? ` ${event.layer}` : ''}: ${event.status}${size}`);
        break;
      }
      case 'stopped':
        out.info(`${event.dependency}: stopped ${event.detail}`);
        break;
      case 'warning':
        out.warn(event.message);
        break;
      case 'ready':
        break;
    }
  };
}

export function dependencyData(d: ResolvedDependency) {
  return {
    service: d.name,
    composeService: d.spec.service ?? null,
    provider: d.provider,
    host: d.connection?.host ?? null,
    port: d.connection?.port ?? null,
    address: d.connection ? `${d.connection.host}:${d.connection.port}` : null,
    reused: d.reused,
    container: d.containerName ?? null,
    pid: d.pid ?? null,
    readyMs: d.readyMs,
  };
}

export function renderReady(deps: ResolvedDependency[], out: Output): string {
  const rows = deps.map((d) => {
    const where = d.connection ? `${d.connection.host}:${d.connection.port}` : '(PostgreSQL fallback)';
    const what = d.containerName ? `container ${d.containerName}` : d.pid ? `pid ${d.pid}` : '';
    const verb = d.provider === 'external' ? 'attached' : d.reused ? 'reused' : 'started';
    const how = d.provider === 'none' ? '-' : `${verb}, ready in ${(d.readyMs / 1000).toFixed(1)} s`;
    return [out.color.bold(d.name), d.provider, displayValue(where), displayValue(what), how];
  });
  return renderTable(['SERVICE', 'PROVIDER', 'ADDRESS', 'RUNS AS', 'STATUS'], rows);
}

function formatUptime(s: number | undefined): string {
  if (s === undefined) return '-';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** `ps`: db and redis, then api and worker with their restarts and the api's ready marker. */
export function renderStatus(rows: Array<StatusRow & { restarts?: number; ready?: string }>): string {
  return renderTable(
    ['SERVICE', 'PROVIDER', 'STATE', 'HEALTH', 'ADDRESS', 'CONTAINER/PID', 'UPTIME', 'RESTARTS', 'READY'],
    // Addresses, names and the ready marker come from settings and files: escaped, clipped.
    rows.map((r) =>
      [
        r.service,
        r.provider,
        r.state,
        r.health,
        r.address ?? '-',
        r.container ?? (r.pid ? `pid ${r.pid}` : '-'),
        formatUptime(r.uptimeS),
        r.restarts === undefined ? '-' : String(r.restarts),
        r.ready ?? '-',
      ].map((cell) => displayValue(cell)),
    ),
  );
}
