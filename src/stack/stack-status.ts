import { address, type StackContext } from './context.js';
import { LABEL, ownedBy, projectFilter } from './providers/docker/labels.js';
import { isRecordedEngine } from './providers/docker/project-engine.js';
import { publishedPort } from './providers/docker/ports.js';
import type { ContainerInfo } from './providers/docker/runtime.js';
import { embeddedDbState } from './providers/embedded/postgres-supervision.js';
import { runningRedis } from './providers/embedded/redis.js';
import { tcpAnswers } from './ready/tcp.js';
import { readState, type DependencyRecord } from './state.js';
import { DEPENDENCIES, type DependencyName, type DependencySpec, type ProviderName } from './types.js';

/** One line of `difyctl ps`; api and worker rows take the same shape later. */
export interface StatusRow {
  service: string;
  provider: ProviderName | 'process' | '-';
  /** running, exited, stopped, absent, reachable, unreachable, fallback, unknown (engine unreachable) */
  state: string;
  /** healthy, unhealthy, starting, or '-' */
  health: string;
  address?: string;
  container?: string;
  pid?: number;
  uptimeS?: number;
  /** Restarts by its supervisor (api, worker, the embedded db). */
  restarts?: number;
}

const uptime = (since: string | undefined, now: number) =>
  since ? Math.max(0, Math.round((now - Date.parse(since)) / 1000)) : undefined;

function dockerRow(args: {
  name: DependencyName;
  info: ContainerInfo;
  record?: DependencyRecord;
  target: number;
  now: number;
}): StatusRow {
  const { name, info, record, target, now } = args;
  const health = info.State.Health?.Status ?? (info.State.Running ? 'healthy' : '-');
  const published = publishedPort(info, target) ?? record?.port;
  return {
    service: name,
    provider: 'docker',
    state: info.State.Status,
    health: info.State.Running ? health : '-',
    address: published ? address({ host: '127.0.0.1', port: published }) : undefined,
    container: info.Name.replace(/^\//, ''),
    uptimeS: info.State.Running ? uptime(info.State.StartedAt, now) : undefined,
  };
}

async function processRow(
  ctx: StackContext,
  name: DependencyName,
  record: DependencyRecord,
  now: number,
): Promise<StatusRow> {
  // The db runs under a supervisor: restarting (after a crash) or gave-up, with its restarts.
  const db = name === 'db' ? await embeddedDbState(ctx.project.projectDir) : undefined;
  const running = db ? db.running : await runningRedis(ctx.project.projectDir, record);
  const port = running?.port ?? record.port;
  const serves = running && port ? await tcpAnswers({ host: '127.0.0.1', port, timeoutMs: 500 }) : false;
  return {
    service: name,
    provider: 'embedded',
    state: db?.state ?? (running ? 'running' : 'stopped'),
    health: running ? (serves ? 'healthy' : 'unhealthy') : '-',
    address: port ? address({ host: '127.0.0.1', port }) : undefined,
    pid: running?.pid,
    uptimeS: running ? uptime(db?.since ?? record.since, now) : undefined,
    restarts: db?.restarts,
  };
}

/** db and redis as they are now: from the state file, checked live (containers by label). */
export async function stackStatus(
  ctx: StackContext,
  specs: Record<DependencyName, DependencySpec>,
): Promise<StatusRow[]> {
  const state = await readState(ctx.project.projectDir, ctx.project.projectName);
  const now = Date.now();
  const docker = await ctx.projectEngine();
  const engine = docker.engine;
  // Another checkout with the same project name labels its containers with its own dir: not ours to show.
  const containers = (
    engine ? await engine.listContainers({ all: true, labels: projectFilter(ctx.project.projectName).label }) : []
  ).filter((c) => ownedBy(c.Labels, ctx.project.projectDir));
  const elsewhere = engine && docker.recorded ? !(await isRecordedEngine(engine, docker.recorded)) : false;
  const rows: StatusRow[] = [];
  for (const name of DEPENDENCIES) {
    const record = state.services[name];
    const labelled = containers.find((c) => c.Labels[LABEL.dependency] === name);
    if (engine && labelled && (!record || record.provider === 'docker')) {
      const info = await engine.inspectContainer(labelled.Id);
      if (info) rows.push(dockerRow({ name, info, record, target: specs[name].port, now }));
      else rows.push({ service: name, provider: 'docker', state: 'absent', health: '-' });
    } else if (record?.provider === 'docker' && (!engine || elsewhere)) {
      // Not seen is not absent: the container may run on the engine `up` used (issue 13, bug 1).
      const where = record.port ? address({ host: record.host ?? '127.0.0.1', port: record.port }) : undefined;
      rows.push({
        service: name,
        provider: 'docker',
        state: engine ? 'unknown (on another engine)' : 'unknown (engine unreachable)',
        health: '-',
        address: where,
        container: record.containerName,
      });
    } else if (record?.provider === 'embedded') {
      rows.push(await processRow(ctx, name, record, now));
    } else if (record?.provider === 'external') {
      const host = record.host ?? specs[name].host;
      const port = record.port ?? specs[name].port;
      const up = await tcpAnswers({ host, port, timeoutMs: 500 });
      rows.push({
        service: name,
        provider: 'external',
        state: up ? 'reachable' : 'unreachable',
        health: up ? 'healthy' : '-',
        address: address({ host, port }),
      });
    } else if (record?.provider === 'none') {
      rows.push({ service: name, provider: 'none', state: 'fallback', health: '-', address: 'PostgreSQL fallback' });
    } else {
      rows.push({ service: name, provider: record?.provider ?? '-', state: 'absent', health: '-' });
    }
  }
  return rows;
}
