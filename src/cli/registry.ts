import { configCommand } from './commands/config.js';
import { dbResetCommand } from './commands/db-reset.js';
import { doctorCommand } from './commands/doctor.js';
import { downCommand } from './commands/down.js';
import { initCommand } from './commands/init.js';
import { logsCommand } from './commands/logs.js';
import { migrateCommand } from './commands/migrate.js';
import { serveCommand } from './commands/serve.js';
import { superviseCommand } from './commands/supervise.js';
import { psCommand } from './commands/ps.js';
import { startCommand } from './commands/start.js';
import { stopCommand } from './commands/stop.js';
import { upCommand } from './commands/up.js';
import {
  appsCreateCommand,
  appsExportCommand,
  appsImportCommand,
  appsListCommand,
  appsRmCommand,
} from './commands/apps.js';
import { chatCommand } from './commands/chat.js';
import { keysCreateCommand, keysListCommand, keysRmCommand } from './commands/keys.js';
import { providersAddCommand, providersListCommand, providersRmCommand } from './commands/providers.js';
import { loginCommand, logoutCommand, setupCommand } from './commands/setup.js';
import type { CommandDefinition } from './types.js';

/** The flat list of commands; order is the order of `--help`. */
export const COMMANDS: CommandDefinition[] = [
  initCommand,
  configCommand,
  upCommand,
  downCommand,
  stopCommand,
  startCommand,
  psCommand,
  migrateCommand,
  doctorCommand,
  logsCommand,
  dbResetCommand,
  serveCommand,
  superviseCommand,
  // the console from the terminal (talks to the running server)
  setupCommand,
  loginCommand,
  logoutCommand,
  providersListCommand,
  providersAddCommand,
  providersRmCommand,
  appsListCommand,
  appsCreateCommand,
  appsRmCommand,
  appsImportCommand,
  appsExportCommand,
  keysCreateCommand,
  keysListCommand,
  keysRmCommand,
  chatCommand,
];
