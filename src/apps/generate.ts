/**
 * A message-based generation (Dify's MessageBasedAppGenerator): prepare (errors a client can fix
 * leave as JSON), register the task for stop requests, then one stream of Dify events.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ModelRuntime } from '../model-runtime/types.js';
import { appUnavailable } from './errors.js';
import type { Generation } from './events.js';
import type { LoadUpload } from './files.js';
import { checkModel, endUserOf, prepareGeneration, type GenerateRequest } from './prepare.js';
import { loadAppConfig } from './model-config/index.js';
import { runGeneration, type RunDeps } from './run.js';
import { ownerOf, type StopFlags } from './stop-flags.js';

export interface GeneratorDeps extends RunDeps {
  pool: pg.Pool;
  runtime: ModelRuntime;
  stopFlags: StopFlags;
  /** Reads an uploaded file (images sent by `local_file` are shown to the model). */
  loadUpload?: LoadUpload;
  /** A new chat conversation got its first message (the worker names it). Failures are the callee's. */
  onConversationStarted?: (conversation: {
    tenantId: string;
    appId: string;
    conversationId: string;
  }) => void | Promise<void>;
}

export async function startGeneration(
  deps: GeneratorDeps,
  appMode: 'chat' | 'completion',
  request: GenerateRequest,
): Promise<Generation> {
  // The app's config and the end user are independent reads: both at once.
  const [record, endUser] = await Promise.all([
    loadAppConfig(deps.pool, request.app.appId),
    endUserOf(deps.pool, request),
  ]);
  if (!record) throw appUnavailable();
  checkModel(record);
  const taskId = randomUUID();
  // The task is registered for stop requests while the rows are written (it never fails).
  const [prepared, task] = await Promise.allSettled([
    prepareGeneration(deps, appMode, { ...request, record, endUser, taskId }),
    // A blocking answer's task id is known only with the answer: nobody can stop it from elsewhere.
    deps.stopFlags.begin(taskId, ownerOf(endUser.id), { shared: request.stream !== false }),
  ]);
  if (prepared.status === 'rejected') {
    if (task.status === 'fulfilled') task.value.end();
    throw prepared.reason;
  }
  if (task.status === 'rejected') throw task.reason;
  if (
    appMode === 'chat' &&
    prepared.value.newConversation &&
    request.autoGenerateName !== false &&
    deps.onConversationStarted
  ) {
    void Promise.resolve(
      deps.onConversationStarted({
        tenantId: request.app.tenantId,
        appId: request.app.appId,
        conversationId: prepared.value.conversationId,
      }),
    ).catch(() => undefined);
  }
  return {
    taskId: prepared.value.taskId,
    messageId: prepared.value.messageId,
    ...(appMode === 'chat' ? { conversationId: prepared.value.conversationId } : {}),
    mode: request.app.mode,
    createdAt: Math.floor(prepared.value.createdAt.getTime() / 1000),
    events: runGeneration(deps, prepared.value, task.value, request.signal),
  };
}
