import type { LoadConfigOptions, ResolvedConfig } from '../config/resolve.js';

/** `difyctl config` as a function: the resolved settings, each with its source, and every problem found. */
export async function config(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const { loadConfig } = await import('../config/resolve.js');
  return loadConfig(options);
}
