/** Every command of the CLI as one function: the CLI parses, calls one of these, renders. */
export { up, modeOf, type UpRunOptions, type UpOutcome, type UpPhase, type PhaseRunner } from './up.js';
export { down, type DownOptions, type DownOutcome } from './down.js';
export { ps, type PsOptions } from './ps.js';
export {
  migrate,
  projectMigrator,
  MIGRATE_ACTIONS,
  type MigrateOptions,
  type MigrateResult,
  type MigrateAction,
} from './migrate.js';
export { doctor, type DoctorRunOptions } from './doctor.js';
export { logs, type LogsOptions, type LogsResult } from './logs.js';
export { dbReset, type DbResetOptions, type DbResetResult } from './db-reset.js';
export { serve, ALL_QUEUES, type ServeOptions } from './serve.js';
export { config } from './config.js';
export { init, type InitOptions } from './init.js';
