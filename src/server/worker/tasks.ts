import type pg from 'pg';
import { DOCUMENT_INDEXING_TASK, indexDocument, PostgresVectorStore, type VectorStore } from '../../knowledge/index.js';
import type { ModelRuntime } from '../../model-runtime/types.js';
import type { Logger } from '../logger.js';
import { CONVERSATION_NAME_TASK, nameConversation } from '../services/conversation-names.js';
import type { QueueName, Task } from '../store/queue.js';
import { removeAppAndRelatedData } from './app-deletion.js';

export interface TaskContext {
  pool: pg.Pool;
  logger: Logger;
  /** Model calls (conversation names); tasks that need it fail without it. */
  runtime?: ModelRuntime;
  /** Reads an uploaded file by its storage key (knowledge documents created from a file). */
  loadFile?: (key: string) => Promise<Buffer>;
  /** Where indexing writes vectors (VECTOR_STORE); the default store in `pool` without one. */
  store?: VectorStore;
}

type TaskFn = (data: Record<string, unknown>, ctx: TaskContext) => Promise<void>;

/** Removes a dataset's documents and segments (Dify's clean_dataset_task), then the dataset. */
const cleanDataset: TaskFn = async (data, { pool, logger, store }) => {
  if (typeof data.dataset_id !== 'string') throw new Error('clean_dataset: dataset_id is required');
  await store?.deleteDataset(data.dataset_id);
  await pool.query('DELETE FROM document_segments WHERE dataset_id = $1', [data.dataset_id]);
  await pool.query('DELETE FROM documents WHERE dataset_id = $1', [data.dataset_id]);
  await pool.query('DELETE FROM datasets WHERE id = $1', [data.dataset_id]);
  logger.info({ datasetId: data.dataset_id }, 'dataset removed');
};

/** Indexes the documents of a create/update request (Dify's document_indexing_task), one after the other. */
const indexDocuments: TaskFn = async (data, { pool, logger, runtime, loadFile, store }) => {
  const ids = Array.isArray(data.document_ids) ? data.document_ids : [];
  if (!ids.length || !ids.every((id) => typeof id === 'string'))
    throw new Error(`${DOCUMENT_INDEXING_TASK}: document_ids is required`);
  if (!runtime) throw new Error(`${DOCUMENT_INDEXING_TASK}: this worker has no model runtime`);
  const deps = {
    pool,
    runtime,
    store: store ?? new PostgresVectorStore(pool),
    loadFile,
    log: (facts: Record<string, unknown>, message: string) => logger.info(facts, message),
  };
  for (const id of ids as string[]) await indexDocument(deps, id);
};

/** No mail transport is configured in this version: mails are written to the log (never lost). */
const sendMail: TaskFn = async (data, { logger }) => {
  logger.info({ to: data.to, subject: data.subject }, 'mail (no mail transport configured: logged only)');
};

/** Names a conversation from its first message (Dify does this after the first answer). */
const generateConversationName: TaskFn = async (data, { pool, logger, runtime }) => {
  const ids = [data.tenant_id, data.app_id, data.conversation_id];
  if (!ids.every((id) => typeof id === 'string'))
    throw new Error(`${CONVERSATION_NAME_TASK}: tenant_id, app_id and conversation_id are required`);
  if (!runtime) throw new Error(`${CONVERSATION_NAME_TASK}: this worker has no model runtime`);
  const [tenantId, appId, conversationId] = ids as string[];
  const name = await nameConversation(
    { pool, runtime },
    { tenantId: tenantId!, appId: appId!, conversationId: conversationId!, keepRenamed: true },
  );
  logger.info({ conversationId, named: name !== undefined }, 'conversation name');
};

const processTrace: TaskFn = async (data, { logger }) => {
  logger.debug({ trace: data.trace_id ?? null }, 'ops trace received (no trace provider configured)');
};

/** What each queue runs, by task name (Dify's Celery task names). */
export const TASKS: Record<QueueName, Record<string, TaskFn>> = {
  app_deletion: { remove_app_and_related_data: (data, ctx) => removeAppAndRelatedData(ctx.pool, data, ctx.logger) },
  dataset: { clean_dataset: cleanDataset, [DOCUMENT_INDEXING_TASK]: indexDocuments },
  generation: { [CONVERSATION_NAME_TASK]: generateConversationName },
  mail: { send_email: sendMail },
  ops_trace: { process_trace: processTrace },
};

/** Runs a task; an unknown name fails it (and, after its retries, it is recorded as failed). */
export async function runTask(task: Task, ctx: TaskContext): Promise<void> {
  const fn = TASKS[task.queue][task.name];
  if (!fn) throw new Error(`unknown task ${task.queue}/${task.name}`);
  await fn(task.data, ctx);
}
