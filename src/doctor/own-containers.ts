import type { ResolvedConfig } from '../config/resolve.js';
import type { RuntimeConnector } from '../stack/providers/docker/runtime.js';
import { ownedBy, projectFilter } from '../stack/providers/docker/labels.js';
import { stackState } from './targets.js';

/**
 * Host ports this project's containers publish, with the container's name: whatever listens there
 * (docker-proxy, rootlesskit) forwards to the stack itself. Empty without containers or an engine.
 */
export async function stackContainerPorts(args: {
  config: ResolvedConfig;
  env: NodeJS.ProcessEnv;
  connect: RuntimeConnector;
}): Promise<Map<number, string>> {
  const { config, env } = args;
  const ports = new Map<number, string>();
  const state = await stackState(config);
  const records = Object.values(state.services).filter((r) => r?.provider === 'docker');
  if (!records.length) return ports;
  const engine = await args.connect({ env, timeoutMs: 1500, recorded: state.engine });
  const containers = await engine
    ?.listContainers({ labels: projectFilter(config.project.projectName).label })
    .catch(() => undefined);
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
