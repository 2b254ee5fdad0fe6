import type { ResolvedConfig } from '../config/resolve.js';
import type { Settings } from '../config/schema.js';
import { readState, type DependencyRecord, type StackState } from '../stack/state.js';
import type { DbConnection, RedisConnection } from '../stack/types.js';

const states = new WeakMap<ResolvedConfig, Promise<StackState>>();

/** What the running stack recorded, read once per doctor run (the checks share the config object). */
export function stackState(config: ResolvedConfig): Promise<StackState> {
  let state = states.get(config);
  if (!state) states.set(config, (state = readState(config.project.projectDir, config.project.projectName)));
  return state;
}

/** Where a dependency should answer: the address `up` recorded (a published port), else the settings. */
function address(record: DependencyRecord | undefined, host: string, port: number): { host: string; port: number; from: string } {
  if (record?.host && record.port) return { host: record.host, port: record.port, from: `${record.provider} (state)` };
  return { host, port, from: 'settings' };
}

export function dbTarget(settings: Settings, state: StackState): DbConnection & { from: string } {
  const a = address(state.services.db, settings.DB_HOST, settings.DB_PORT);
  return { host: a.host, port: a.port, user: settings.DB_USERNAME, password: settings.DB_PASSWORD, database: settings.DB_DATABASE, from: a.from };
}

export function redisTarget(settings: Settings, state: StackState): (RedisConnection & { from: string }) | 'none' {
  if (state.services.redis?.provider === 'none') return 'none';
  const a = address(state.services.redis, settings.REDIS_HOST, settings.REDIS_PORT);
  return { host: a.host, port: a.port, username: settings.REDIS_USERNAME, password: settings.REDIS_PASSWORD, db: settings.REDIS_DB, from: a.from };
}
