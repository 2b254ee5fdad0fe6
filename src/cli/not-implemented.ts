import { DifyctlError } from '../errors/index.js';
import type { CommandResult } from './types.js';

/** Commands of the contract that are not built yet say so plainly: no fakes. */
export async function notImplemented(name: string): Promise<CommandResult> {
  throw new DifyctlError('CLI.NOT_IMPLEMENTED', `\`difyctl ${name}\` is not built yet in this version.`, {
    hint: 'See README.md for the commands that work today.',
  });
}
