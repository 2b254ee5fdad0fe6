import { notImplemented } from '../not-implemented.js';
import type { CommandDefinition } from '../types.js';

/**
 * Commands of the contract (SPEC §2) that later work builds. They are listed so `--help` shows the
 * whole product, and each says plainly that it is not built yet (exit 1) instead of faking it.
 */
const pending = (path: string[], summary: string): CommandDefinition => ({
  path,
  summary: `${summary} (not built yet)`,
  configure: (cmd) => cmd.allowUnknownOption().allowExcessArguments(),
  run: () => notImplemented(path.join(' ')),
});

export const pendingCommands: CommandDefinition[] = [
  pending(['db', 'reset'], 'delete the database data, start, migrate'),
];
