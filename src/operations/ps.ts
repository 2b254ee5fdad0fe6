import type { ProjectOptions } from '../config/project.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { ServiceRow } from '../stack/launch/status.js';
import type { StatusRow } from '../stack/stack-status.js';

export interface PsOptions extends ProjectOptions {
  /** An already loaded configuration (the api service's); else it is loaded from the project options. */
  config?: ResolvedConfig;
}

/** `difyctl ps` as a function: db and redis, then api and worker with restarts and the ready marker. */
export async function ps(options: PsOptions = {}): Promise<Array<StatusRow | ServiceRow>> {
  const { loadConfig } = await import('../config/resolve.js');
  const { createStack } = await import('../stack/index.js');
  const { serviceRows } = await import('../stack/launch/status.js');
  const { readReadyMarker } = await import('../stack/launch/ready-marker.js');
  const { readState } = await import('../stack/state.js');
  const config = options.config ?? loadConfig({ ...options, mode: 'api' });
  const { projectDir, projectName } = config.project;
  // ps works on a broken configuration: the ready marker is read only when the settings are valid.
  const settings = config.typed;
  const state = await readState(projectDir, projectName);
  return [
    ...(await createStack({ config, env: config.project.env }).ps()),
    ...(await serviceRows({ projectDir, readMarker: settings ? () => readReadyMarker(settings, state) : undefined })),
  ];
}
