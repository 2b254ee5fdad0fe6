/**
 * Apps: one generator per app mode producing one stream of Dify events, the app model config, end
 * users, stop flags. Blocking collects the stream (collectBlocking), SSE writes it (sseEvent).
 */
export { CHAT_MODES, generateChat } from './chat.js';
export { generateCompletion } from './completion.js';
export { DEFAULT_USER, findEndUser, resolveEndUser, type EndUser } from './end-users.js';
export { AppRequestError } from './errors.js';
export { collectBlocking, SSE_PING, sseEvent, type AppEvent, type Generation, type MessageMetadata } from './events.js';
export type { FileMapping, LoadUpload } from './files.js';
export type { GeneratorDeps } from './generate.js';
export { prepareInputs } from './inputs.js';
export type { AppRef, GenerateRequest } from './prepare.js';
export { DEFAULT_CONVERSATION_NAME } from './records.js';
export { createStopFlags, ownerOf, type FlagStore, type StopFlags } from './stop-flags.js';
