/**
 * The console from code: what `difyctl setup`, `login`, `providers`, `apps`, `keys` and `chat`
 * call. `connectConsole({ projectDir })` finds the project's running API server and its stored session.
 */
export { connectConsole, type ConsoleClient, type ConsoleOptions } from './http.js';
export { serverAddress } from './address.js';
export { setupAdmin, setupDone, login, logout, type SignedIn } from './account.js';
export {
  listProviders,
  addProvider,
  removeProvider,
  defaultModel,
  type ProviderInfo,
  type AddProviderInput,
  type AddedProvider,
} from './providers.js';
export {
  listApps,
  createApp,
  removeApp,
  resolveApp,
  CREATABLE_MODES,
  type AppSummary,
  type CreateAppInput,
  type CreatedApp,
} from './apps.js';
export { importApp, exportApp, type ImportResult } from './dsl.js';
export { createApiKey, listApiKeys, removeApiKey, type ApiKey } from './keys.js';
export { chat, type ChatInput, type ChatResult } from './chat.js';
export type { StreamEvent } from './sse.js';
