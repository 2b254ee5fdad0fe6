import type { ProjectOptions } from '../config/project.js';
import type { CommandContext } from './types.js';

/** The project every command works on: `-C`, `-f`, `--env-file`, `-p` and the shell environment. */
export function projectOptions({ global, env }: Pick<CommandContext, 'global' | 'env'>): ProjectOptions {
  return {
    projectDir: global.projectDir,
    file: global.file,
    envFile: global.envFile,
    projectName: global.projectName,
    env,
  };
}
