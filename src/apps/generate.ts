/**
 * A message-based generation (Dify's MessageBasedAppGenerator): prepare (errors a client can fix
 * leave as JSON), register the task for stop requests, then one stream of Dify events.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { VectorStore } from '../knowledge/index.js';
import type { ModelRuntime } from '../model-runtime/types.js';
import { appUnavailable } from './errors.js';
import type { Generation } from './events.js';
import type { LoadUpload } from './files.js';
import type { EndUser } from './end-users.js';
import { appConfigForGeneration, forgetAppConfig, StaleAppConfig } from './model-config/cache.js';
import { endUserOf, prepareGeneration, type GenerateRequest, type Prepared } from './prepare.js';
import { runGeneration, type RunDeps } from './run.js';
import { ownerOf, type StopFlags } from './stop-flags.js';

export interface GeneratorDeps extends RunDeps {
  pool: pg.Pool;
  runtime: ModelRuntime;
  stopFlags: StopFlags;
  /** The process's vector store (VECTOR_STORE): apps with knowledge search it before answering. */
  vectors: VectorStore;
  /** Reads an uploaded file (images sent by `local_file` are shown to the model). */
  loadUpload?: LoadUpload;
  /** A new chat conversation got its first message (the worker names it). Failures are the callee's. */
  onConversationStarted?: (conversation: {
    tenantId: string;
    appId: string;
    conversationId: string;
  }) => void | Promise<void>;
}

/**
 * Prepares the generation with the app's remembered config; when the config turns out replaced
 * (another process saved one, or the app left service) as the message is written, once more with
 * the config read afresh.
 */
async function prepareWithConfig(
  deps: GeneratorDeps,
  appMode: 'chat' | 'completion',
  request: GenerateRequest & { endUser: EndUser; taskId: string },
): Promise<Prepared> {
  for (let attempt = 0; ; attempt++) {
    const record = await appConfigForGeneration(deps.pool, request.app.appId, { fresh: attempt > 0 });
    if (!record) throw appUnavailable();
    try {
      return await prepareGeneration(deps, appMode, { ...request, record });
    } catch (error) {
      if (!(error instanceof StaleAppConfig) || attempt > 0) throw error;
      forgetAppConfig(deps.pool, request.app.appId);
    }
  }
}

export async function startGeneration(
  deps: GeneratorDeps,
  appMode: 'chat' | 'completion',
  request: GenerateRequest,
): Promise<Generation> {
  const endUser = await endUserOf(deps.pool, request);
  const taskId = randomUUID();
  // The task is registered for stop requests while the rows are written (it never fails).
  const [prepared, task] = await Promise.allSettled([
    prepareWithConfig(deps, appMode, { ...request, endUser, taskId }),
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
