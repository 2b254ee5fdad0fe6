import type { CommandContext, CommandResult } from './types.js';

/** `difyctl up db redis`: only the dependencies, returning once they serve. */
export async function upDependencies({ global, out, env }: CommandContext, requested: string[], timeoutSeconds: number, provider = 'auto'): Promise<CommandResult> {
  const { loadConfig, requireValid } = await import('../config/resolve.js');
  const { createStack, unknownDependency } = await import('../stack/index.js');
  const { stackReporter, renderReady, dependencyData } = await import('./render-stack.js');
  const config = loadConfig({ projectDir: global.projectDir, file: global.file, envFile: global.envFile, projectName: global.projectName, env, mode: 'api' });
  const stack = createStack({ config, provider: provider as 'auto', timeoutMs: timeoutSeconds * 1000, report: stackReporter(out), env });
  const names = requested.map((name) => {
    const dependency = stack.dependencyNamed(name);
    if (!dependency) throw unknownDependency(name, ['db', 'redis', 'api', 'worker']);
    return dependency;
  });
  requireValid(config); // an invalid configuration starts nothing and writes nothing (not even the lock)
  // Like the full `up`: one change to this project's stack at a time (a concurrent `down` or `up`).
  const { acquireProjectLock } = await import('../stack/project-lock.js');
  const lock = await acquireProjectLock({ projectDir: config.project.projectDir, timeoutMs: timeoutSeconds * 1000, onWait: (holder) => out.info(`waiting for another difyctl (pid ${holder})`) });
  // Ctrl-C while starting: what this run started goes (data stays), then exit 130 (CLI.INTERRUPTED).
  const interrupt = () => void stack.undo();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const deps = await stack.up([...new Set(names)]).finally(async () => {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await lock.release();
  });
  out.print(renderReady(deps, out));
  return { data: { services: deps.map(dependencyData) } };
}
