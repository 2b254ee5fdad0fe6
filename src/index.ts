/**
 * difyctl's programmatic API: everything the CLI does is callable from here.
 * The CLI (src/cli/) only parses arguments, calls these, and renders.
 */
export {
  loadConfig,
  resolveConfig,
  requireValid,
  type ResolvedConfig,
  type Diagnostic,
  type LoadConfigOptions,
} from './config/resolve.js';
export { loadProject, type Project, type ProjectOptions } from './config/project.js';
export { settingsSchema, type Settings, type SettingKey } from './config/schema.js';
export { parseDotenv, type DotenvEntry } from './config/dotenv.js';
export { interpolate, type Lookup } from './config/interpolate.js';
export { redact, isSecretKey } from './config/secrets.js';
export type { ComposeProject, ComposeService } from './config/compose-model.js';
export { initProject } from './scaffold/init.js';
export { DifyctlError, BugError, ERROR_CODES, EXIT } from './errors/index.js';
export {
  createMigrator,
  type Migrator,
  type MigratorOptions,
  type StatusReport,
  type RunResult,
  type HistoryEntry,
} from './db/migrator.js';
export { resolveDbConnection } from './stack/targets.js';
export type { Migration, DbConnection as MigratorConnection, MigratorLogger } from './db/types.js';
export {
  createStack,
  resolvedEnvironment,
  type Stack,
  type StackOptions,
  type ResolvedDependency,
  type StatusRow,
  type StackEvent,
} from './stack/index.js';
export { createApp, type AppDeps, type DifyApp } from './server/app.js';
export { settingsFromEnv, type ServerSettings } from './server/settings.js';
export { startWorker, type WorkerOptions, type RunningWorker } from './server/worker/run-worker.js';
export {
  createModelRuntime,
  ModelRuntimeError,
  ModelConfigError,
  type ModelRuntimeService,
  type ModelRuntimeOptions,
  type PluginProvider,
} from './model-runtime/index.js';
export { upStack, type UpOptions, type UpResult } from './stack/up.js';
export { stopStack, startStack, type StopOptions, type StartOptions, type StartResult } from './stack/stop-start.js';
export { launchServices, stopServices, type LaunchOptions } from './stack/launch/launch.js';
export { Supervisor, type SupervisorOptions, type SupervisorEvent } from './supervision/supervisor.js';
export { resetDatabase } from './stack/db-reset.js';
export { runChecks, defaultChecks, type Check, type CheckResult, type DoctorReport } from './doctor/index.js';
export { readLogs, followLogs, logSources, type LogLine, type LogSource } from './logs/index.js';
// One function per CLI command (the CLI's commands are thin shells over these).
export {
  up,
  down,
  ps,
  migrate,
  projectMigrator,
  doctor,
  logs,
  dbReset,
  serve,
  config,
  init,
  type UpRunOptions,
  type UpOutcome,
  type UpPhase,
  type DownOptions,
  type DownOutcome,
  type PsOptions,
  type MigrateOptions,
  type MigrateResult,
  type DoctorRunOptions,
  type LogsOptions,
  type LogsResult,
  type DbResetOptions,
  type DbResetResult,
  type ServeOptions,
  type InitOptions,
} from './operations/index.js';
export {
  connectConsole,
  serverAddress,
  setupAdmin,
  setupDone,
  login,
  logout,
  listProviders,
  addProvider,
  removeProvider,
  defaultModel,
  listApps,
  createApp as createConsoleApp,
  removeApp,
  resolveApp,
  importApp,
  exportApp,
  createApiKey,
  listApiKeys,
  removeApiKey,
  chat,
  type ConsoleClient,
  type ConsoleOptions,
  type SignedIn,
  type ProviderInfo,
  type AddProviderInput,
  type AddedProvider,
  type AppSummary,
  type CreateAppInput,
  type CreatedApp,
  type ImportResult,
  type ApiKey,
  type ChatInput,
  type ChatResult,
  type StreamEvent,
} from './console-client/index.js';
