import type { CommandContext, CommandResult } from './types.js';

/** `difyctl up db redis`: only the dependencies, returning once they serve. */
export async function upDependencies({ global, out, env }: CommandContext, requested: string[], timeoutSeconds: number, provider = 'auto'): Promise<CommandResult> {
  const { loadConfig } = await import('../config/resolve.js');
  const { createStack, unknownDependency } = await import('../stack/index.js');
  const { stackReporter, renderReady, dependencyData } = await import('./render-stack.js');
  const config = loadConfig({ projectDir: global.projectDir, file: global.file, envFile: global.envFile, projectName: global.projectName, env, mode: 'api' });
  const stack = createStack({ config, provider: provider as 'auto', timeoutMs: timeoutSeconds * 1000, report: stackReporter(out), env });
  const names = requested.map((name) => {
    const dependency = stack.dependencyNamed(name);
    if (!dependency) throw unknownDependency(name, ['db', 'redis', 'api', 'worker']);
    return dependency;
  });
  const deps = await stack.up([...new Set(names)]);
  out.print(renderReady(deps, out));
  return { data: { services: deps.map(dependencyData) } };
}
