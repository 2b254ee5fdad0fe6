import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { ProjectOptions } from '../config/project.js';
import { loadConfig, requireValid } from '../config/resolve.js';
import type { DifyctlError } from '../errors/index.js';
import {
  engineMismatch,
  engineUnreachable,
  isRecordedEngine,
  projectEngine,
} from './providers/docker/project-engine.js';
import { dataBindSources } from './providers/docker/down.js';
import { LABEL, ownedBy } from './providers/docker/labels.js';
import { embeddedPostgresDir, runningPostmaster } from './providers/embedded/postgres.js';
import { stopEmbeddedPostgres } from './providers/embedded/postgres-supervision.js';
import { acquireProjectLock } from '../supervision/project-lock.js';
import { tcpAnswers } from './ready/tcp.js';
import { stopServices, type ServiceName } from './launch/launch.js';
import { readState, updateState } from './state.js';
import { readRunRecord, supervisorAlive } from '../supervision/run-file.js';
import type { Reporter } from './types.js';
import { createStack } from './stack.js';
import { dbResetExternal } from './errors.js';

export interface DbResetOptions extends ProjectOptions {
  report?: Reporter;
  /** @default 120_000 */
  timeoutMs?: number;
}

export interface DbResetResult {
  /** Data directories deleted (relative to the project). */
  removed: string[];
  migrated: string[];
  /** api/worker that ran before and run again. */
  restarted: ServiceName[];
}

/** Stops the db (container or embedded server) and deletes its data directories inside the project. */
async function deleteDbData(projectDir: string, projectName: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const state = await readState(projectDir, projectName);
  const record = state.services.db;
  const dirs = new Set(record?.dataDirs ?? []);
  if (record?.provider === 'docker') {
    // The engine `up` recorded unless the shell names one; data goes only with a container seen stopped.
    const { engine, endpoint, recorded } = await projectEngine({ env, state });
    const container = [record.containerName ?? 'the db container'];
    if (!engine) throw engineUnreachable({ endpoint, recorded, containers: container, doing: 'nothing was deleted' });
    const containers = (
      await engine.listContainers({ all: true, labels: [`${LABEL.project}=${projectName}`, `${LABEL.dependency}=db`] })
    ).filter((c) => ownedBy(c.Labels, projectDir));
    if (!containers.length && recorded && !(await isRecordedEngine(engine, recorded)))
      throw engineMismatch({ endpoint, recorded, containers: container, doing: 'nothing was deleted' });
    for (const info of containers) {
      for (const source of dataBindSources(info)) dirs.add(source);
      await engine.removeContainer(info.Id);
    }
  } else {
    await stopEmbeddedPostgres({ projectDir });
    dirs.add(embeddedPostgresDir(projectDir));
  }
  const removed: string[] = [];
  for (const dir of dirs) {
    const rel = path.relative(projectDir, dir);
    // Only data inside the project is ever deleted.
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(rel);
  }
  await updateState({ projectDir, project: projectName, change: (state) => void delete state.services.db });
  return removed;
}

function externalDatabase(where: string): DifyctlError {
  return dbResetExternal(`the database at ${where} is an external server: difyctl does not delete its data`, {
    hint: 'Drop and recreate the database on that server yourself, then run `difyctl migrate`.',
  });
}

/**
 * The documented reset (SPEC §2): stop api/worker, stop the db and delete its data, start it,
 * migrate and seed, and start again what ran before. An external database is never touched.
 */
export async function resetDatabase(options: DbResetOptions): Promise<DbResetResult> {
  const config = loadConfig({ ...options, mode: 'api' });
  const { projectDir, projectName } = config.project;
  const lock = await acquireProjectLock({ projectDir, timeoutMs: options.timeoutMs ?? 120_000 });
  const running: ServiceName[] = [];
  let removed: string[];
  try {
    // Read under the lock: a concurrent `up` may be changing which provider serves the db.
    const record = (await readState(projectDir, projectName)).services.db;
    if (record?.provider === 'external') throw externalDatabase(`${record.host}:${record.port}`);
    if (!record) {
      // Nothing recorded (never started, or after `down`): a server answering at DB_HOST:DB_PORT that
      // is not this project's embedded one is somebody else's — refuse before deleting anything.
      const s = requireValid(config);
      if (
        !(await runningPostmaster(embeddedPostgresDir(projectDir))) &&
        (await tcpAnswers({ host: s.DB_HOST, port: s.DB_PORT }))
      )
        throw externalDatabase(`${s.DB_HOST}:${s.DB_PORT}`);
    }
    for (const service of ['api', 'worker'] as ServiceName[]) {
      const run = await readRunRecord(projectDir, service);
      if (run && (await supervisorAlive(run))) running.push(service);
    }
    await stopServices({ projectDir, services: ['api', 'worker'] });
    removed = await deleteDbData(projectDir, projectName, config.project.env);
  } finally {
    await lock.release();
  }
  // Start again with the same phases as `up` (it takes the lock itself).
  const again = createStack({
    ...options,
    mode: running.length === 2 ? 'all' : (running[0] ?? 'api'),
    detach: true,
    report: options.report,
  });
  try {
    await again.alreadyRunning();
    const deps = await again.startDependencies();
    const db = deps.find((d) => d.name === 'db');
    if (db?.provider === 'external' && db.connection)
      throw externalDatabase(`${db.connection.host}:${db.connection.port}`);
    const { applied } = await again.migrate();
    if (running.length) await again.launch();
    return { removed, migrated: applied, restarted: running };
  } finally {
    await again.release();
  }
}
