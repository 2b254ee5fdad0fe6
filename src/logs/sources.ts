import { existsSync } from 'node:fs';
import { usageError } from '../errors/index.js';
import { connectEngine } from '../stack/providers/docker/engine.js';
import { readState } from '../stack/state.js';
import { logPath } from '../supervision/paths.js';
import { dockerLogSource } from './docker-source.js';
import { fileLogSource } from './file-source.js';
import type { LogSource } from './types.js';

/** The services `logs` knows, in the order compose would list them. */
export const LOG_SERVICES = ['db', 'redis', 'api', 'worker'] as const;

export interface LogSourcesOptions {
  projectDir: string;
  projectName: string;
  env: NodeJS.ProcessEnv;
  /** Logical names (db, redis, api, worker) or compose names mapped to them; empty = all. */
  services: string[];
  /** Compose service name → logical name (db_postgres → db). */
  aliases?: Record<string, string>;
}

/**
 * Where each service's logs are: a container (docker provider), the process log file (embedded
 * db/redis, api, worker). Services with nothing to read are left out; a named one is an error.
 */
export async function logSources(options: LogSourcesOptions): Promise<LogSource[]> {
  const wanted = options.services.map((s) => options.aliases?.[s] ?? s);
  const unknown = wanted.filter((s) => !(LOG_SERVICES as readonly string[]).includes(s));
  if (unknown.length) {
    throw usageError(
      `no such service: ${unknown.join(', ')}`,
      `Services: ${LOG_SERVICES.join(', ')} (or their compose names).`,
    );
  }
  const state = await readState(options.projectDir, options.projectName);
  const names = wanted.length ? wanted : [...LOG_SERVICES];
  const sources: LogSource[] = [];
  let engine: ReturnType<typeof connectEngine> | undefined;
  for (const service of names) {
    const record = (
      state.services as Record<string, { provider?: string; containerId?: string; logFile?: string } | undefined>
    )[service];
    if (record?.provider === 'docker' && record.containerId) {
      // The engine `up` used unless the shell names one (DOCKER_HOST unset since `up` still works).
      const { docker } = await (engine ??= connectEngine(options.env, { recorded: state.engine }));
      sources.push(dockerLogSource({ docker, containerId: record.containerId, service }));
      continue;
    }
    const file = record?.logFile ?? logPath(options.projectDir, service);
    if (existsSync(file) || wanted.includes(service)) sources.push(fileLogSource({ service, file }));
  }
  return sources;
}
