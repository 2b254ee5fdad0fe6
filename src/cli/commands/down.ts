import type { CommandDefinition } from '../types.js';

export const downCommand: CommandDefinition = {
  path: ['down'],
  summary: 'stop what up started (by labels and the state file); data stays unless --volumes',
  configure: (cmd) => cmd.option('-v, --volumes', 'also delete the data of db and redis'),
  run: async ({ global, out, env, options }) => {
    const { loadConfig } = await import('../../config/resolve.js');
    const { createStack } = await import('../../stack/index.js');
    const { stackReporter } = await import('../render-stack.js');
    const config = loadConfig({ projectDir: global.projectDir, file: global.file, envFile: global.envFile, projectName: global.projectName, env, mode: 'api' });
    const { stopServices } = await import('../../stack/services/launch.js');
    const { acquireProjectLock } = await import('../../stack/project-lock.js');
    // On a full disk `down` still stops the stack: without the lock when it cannot be written.
    const lock = await acquireProjectLock({ projectDir: config.project.projectDir, timeoutMs: 60_000, withoutLockOnFullDisk: true, onWait: (holder) => out.info(`waiting for another difyctl (pid ${holder}) to finish`) });
    if (lock.unwritten) out.warn(`${lock.unwritten.message}: stopping without the project lock [${lock.unwritten.code}]\n  fix: ${lock.unwritten.hint ?? ''}`);
    let result: { stopped: string[]; removed: string[]; kept: string[]; warning?: string };
    try {
      const stack = createStack({ config, env, report: stackReporter(out) });
      // --volumes with a container it cannot reach: refused before anything is stopped or deleted.
      await stack.checkDown({ volumes: options.volumes === true });
      // api and worker first (they drain), then the dependencies they use.
      const services = await stopServices({ projectDir: config.project.projectDir, services: ['api', 'worker'] });
      result = await stack.down({ volumes: options.volumes === true });
      result.stopped.unshift(...services);
    } finally {
      await lock.release();
    }
    if (result.stopped.length === 0 && result.removed.length === 0 && result.kept.length === 0) out.print('nothing to stop');
    for (const item of result.stopped) out.print(`stopped ${item}`);
    for (const item of result.removed) out.print(`removed ${item}`);
    // Containers it could not reach still run (their record stays): not a success.
    return { data: result, exitCode: result.kept.length ? 1 : 0 };
  },
};
