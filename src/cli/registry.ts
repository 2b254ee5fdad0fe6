import { configCommand } from './commands/config.js';
import { doctorCommand } from './commands/doctor.js';
import { initCommand } from './commands/init.js';
import { pendingCommands } from './commands/pending.js';
import type { CommandDefinition } from './types.js';

/** The flat list of commands; order is the order of `--help`. */
export const COMMANDS: CommandDefinition[] = [initCommand, configCommand, ...pendingCommands, doctorCommand];
