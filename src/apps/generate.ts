/**
 * A message-based generation (Dify's MessageBasedAppGenerator): prepare (errors a client can fix
 * leave as JSON), register the task for stop requests, then one stream of Dify events.
 */
import type pg from 'pg';
import type { ModelRuntime } from '../model-runtime/types.js';
import type { Generation } from './events.js';
import type { LoadUpload } from './files.js';
import { prepareGeneration, type GenerateRequest } from './prepare.js';
import { runGeneration, type RunDeps } from './run.js';
import { ownerOf, type StopFlags } from './stop-flags.js';

export interface GeneratorDeps extends RunDeps {
  pool: pg.Pool;
  runtime: ModelRuntime;
  stopFlags: StopFlags;
  /** Reads an uploaded file (images sent by `local_file` are shown to the model). */
  loadUpload?: LoadUpload;
  /** A new chat conversation got its first message (the worker names it). Failures are the callee's. */
  onConversationStarted?: (conversation: { tenantId: string; appId: string; conversationId: string }) => void | Promise<void>;
}

export async function startGeneration(deps: GeneratorDeps, appMode: 'chat' | 'completion', request: GenerateRequest): Promise<Generation> {
  const prepared = await prepareGeneration(deps, appMode, request);
  const task = await deps.stopFlags.begin(prepared.taskId, ownerOf(prepared.endUser.id));
  if (appMode === 'chat' && prepared.newConversation && request.autoGenerateName !== false && deps.onConversationStarted) {
    void Promise.resolve(deps.onConversationStarted({ tenantId: request.app.tenantId, appId: request.app.appId, conversationId: prepared.conversationId })).catch(() => undefined);
  }
  return {
    taskId: prepared.taskId,
    messageId: prepared.messageId,
    ...(appMode === 'chat' ? { conversationId: prepared.conversationId } : {}),
    mode: request.app.mode,
    createdAt: Math.floor(prepared.createdAt.getTime() / 1000),
    events: runGeneration(deps, prepared, task, request.signal),
  };
}
