import type { ResolvedConfig } from '../config/resolve.js';
import { readState, type StackState } from '../stack/state.js';

const states = new WeakMap<ResolvedConfig, Promise<StackState>>();

/** What the running stack recorded, read once per doctor run (the checks share the config object). */
export function stackState(config: ResolvedConfig): Promise<StackState> {
  let state = states.get(config);
  if (!state) states.set(config, (state = readState(config.project.projectDir, config.project.projectName)));
  return state;
}

// Where db and redis answer has one owner: src/stack/targets.ts.
export { dbTarget, redisTarget } from '../stack/targets.js';
