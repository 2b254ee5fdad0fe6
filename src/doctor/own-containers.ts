import type { ResolvedConfig } from '../config/resolve.js';
import { tryEngine } from '../stack/docker/engine.js';
import { ownedBy, projectFilter } from '../stack/docker/labels.js';
import { stackState } from './targets.js';

/**
 * Host ports this project's containers publish, with the container's name: whatever listens there
 * (docker-proxy, rootlesskit) forwards to the stack itself. Empty without containers or an engine.
 */
export async function stackContainerPorts(args: { config: ResolvedConfig; env: NodeJS.ProcessEnv }): Promise<Map<number, string>> {
  const { config, env } = args;
  const ports = new Map<number, string>();
  const state = await stackState(config);
  const records = Object.values(state.services).filter((r) => r?.provider === 'docker');
  if (!records.length) return ports;
  const engine = await tryEngine(env, { timeoutMs: 1500, recorded: state.engine });
  const containers = await engine?.docker.listContainers({ filters: projectFilter(config.project.projectName) }).catch(() => undefined);
  if (!containers) {
    // No answer in time: the ports `up` recorded (the docker check reports the engine itself).
    for (const r of records) if (r?.port && r.containerName) ports.set(r.port, r.containerName);
    return ports;
  }
  for (const c of containers.filter((c) => ownedBy(c.Labels, config.project.projectDir))) {
    for (const p of c.Ports ?? []) if (p.PublicPort) ports.set(p.PublicPort, (c.Names[0] ?? c.Id).replace(/^\//, ''));
  }
  return ports;
}
