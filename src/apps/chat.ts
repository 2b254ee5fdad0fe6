import { notChatApp } from './errors.js';
import type { Generation } from './events.js';
import { startGeneration, type GeneratorDeps } from './generate.js';
import type { GenerateRequest } from './prepare.js';

/** The app modes `POST /v1/chat-messages` serves (Dify: chat, agent-chat, advanced-chat; here the easy-UI ones). */
export const CHAT_MODES = ['chat', 'agent-chat'] as const;

/**
 * A chat app's answer to a query: history of the conversation within the model's context size,
 * a new conversation when none is given.
 * @throws AppRequestError `not_chat_app`, `invalid_param`, `provider_not_initialize`, 404 conversation
 */
export async function generateChat(deps: GeneratorDeps, request: GenerateRequest): Promise<Generation> {
  if (!(CHAT_MODES as readonly string[]).includes(request.app.mode)) throw notChatApp();
  return startGeneration(deps, 'chat', request);
}
