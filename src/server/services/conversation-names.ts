import type pg from 'pg';
import type { ModelRuntime } from '../../model-runtime/types.js';
import type { Logger } from '../logger.js';
import type { TaskQueue } from '../store/queue.js';

/** The queue and task that name a conversation after its first message (Dify's `generation` queue). */
export const CONVERSATION_NAME_QUEUE = 'generation';
export const CONVERSATION_NAME_TASK = 'generate_conversation_name';
/** The name a conversation has until one is generated (Dify's). */
export const DEFAULT_CONVERSATION_NAME = 'New conversation';
/** Dify cuts generated names here and appends `...`. */
const MAX_NAME_LENGTH = 75;

export interface ConversationNameTask {
  tenantId: string;
  appId: string;
  conversationId: string;
}

/**
 * Asks the worker to name a conversation from its first message. The chat generator calls this once,
 * after the first message of a new conversation is saved, when the request's `auto_generate_name`
 * is not false. A broker that is away costs the name, never the answer: failures are logged only.
 */
export async function enqueueConversationName(
  queue: Pick<TaskQueue, 'enqueue'>,
  task: ConversationNameTask,
  logger?: Logger,
): Promise<void> {
  try {
    await queue.enqueue(CONVERSATION_NAME_QUEUE, CONVERSATION_NAME_TASK, {
      tenant_id: task.tenantId,
      app_id: task.appId,
      conversation_id: task.conversationId,
    });
  } catch (error) {
    logger?.warn(
      { err: (error as Error).message, conversationId: task.conversationId },
      'conversation name not queued (the conversation keeps its default name)',
    );
  }
}

/** The instruction sent to the model: a short title as JSON, under the key Dify's parser reads. */
export function conversationTitlePrompt(query: string): string {
  let text = query.length > 2000 ? `${query.slice(0, 300)}...[TRUNCATED]...${query.slice(-300)}` : query;
  text = text.replace(/\n/g, ' ');
  return [
    'Write a very short title for a chat that starts with the user input below.',
    'Name what the user wants and its subject in one short phrase, in the language of the input.',
    'Answer with a JSON object only, no other text:',
    '{"Language Type": "<language of the input>", "Your Reasoning": "<one sentence>", "Your Output": "<the title>"}',
    '',
    'User Input:',
    `${text}\n`,
  ].join('\n');
}

/** The first JSON object in a model's answer (models wrap JSON in prose or code fences). */
function firstJsonObject(answer: string): unknown {
  try {
    return JSON.parse(answer);
  } catch {
    const start = answer.indexOf('{');
    const end = answer.lastIndexOf('}');
    if (start < 0 || end <= start) return undefined;
    try {
      return JSON.parse(answer.slice(start, end + 1));
    } catch {
      return undefined;
    }
  }
}

/** Dify's rule: `Your Output` of the JSON answer, else the query itself; at most 75 characters + `...`. */
export function parseConversationName(answer: string, query: string): string {
  if (answer.trim() === '') return '';
  const parsed = firstJsonObject(answer);
  const output =
    parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)['Your Output']
      : undefined;
  const name = (typeof output === 'string' && output.trim() ? output : query.replace(/\n/g, ' ')).trim();
  return name.length > MAX_NAME_LENGTH ? `${name.slice(0, MAX_NAME_LENGTH)}...` : name;
}

/**
 * The model that writes names and suggestions: the workspace's default LLM (as Dify), else the
 * model the conversation was held with.
 */
export async function utilityModel(
  runtime: ModelRuntime,
  input: { tenantId: string; fallback?: { provider: string | null; model: string | null } },
): Promise<{ provider: string; model: string } | undefined> {
  const chosen = await runtime.defaultModel(input.tenantId, 'llm');
  if (chosen) return chosen;
  const { provider, model } = input.fallback ?? {};
  return provider && model ? { provider, model } : undefined;
}

/** A name for a conversation from its first query, through the model runtime. */
export async function generateConversationName(
  runtime: ModelRuntime,
  input: { tenantId: string; query: string; model: { provider: string; model: string } },
): Promise<string> {
  const call = runtime.invokeLlm({
    tenantId: input.tenantId,
    provider: input.model.provider,
    model: input.model.model,
    messages: [{ role: 'user', content: conversationTitlePrompt(input.query) }],
    parameters: { max_tokens: 500, temperature: 1 },
  });
  const result = await call.result;
  return parseConversationName(result.text, input.query);
}

interface FirstMessageRow {
  tenant_id: string;
  name: string;
  model_provider: string | null;
  model_id: string | null;
  query: string | null;
}

async function firstMessage(pool: pg.Pool, task: ConversationNameTask): Promise<FirstMessageRow | undefined> {
  const { rows } = await pool.query<FirstMessageRow>(
    `SELECT a.tenant_id, c.name, c.model_provider, c.model_id,
            (SELECT m.query FROM messages m WHERE m.conversation_id = c.id ORDER BY m.created_at LIMIT 1) AS query
       FROM conversations c JOIN apps a ON a.id = c.app_id
      WHERE c.id = $1 AND c.app_id = $2 AND NOT c.is_deleted`,
    [task.conversationId, task.appId],
  );
  return rows[0];
}

/**
 * Names a conversation and stores it (the auto_generate rename and the worker task). Returns the
 * stored name, or undefined when there is nothing to name from (no message, no model).
 * @param keepRenamed true in the worker: a name the user set meanwhile is kept
 */
export async function nameConversation(
  deps: { pool: pg.Pool; runtime: ModelRuntime },
  task: ConversationNameTask & { keepRenamed: boolean },
): Promise<string | undefined> {
  const row = await firstMessage(deps.pool, task);
  if (!row?.query) return undefined;
  const model = await utilityModel(deps.runtime, {
    tenantId: row.tenant_id,
    fallback: { provider: row.model_provider, model: row.model_id },
  });
  if (!model) return undefined;
  const name = await generateConversationName(deps.runtime, { tenantId: row.tenant_id, query: row.query, model });
  if (!name) return undefined;
  const guard = task.keepRenamed ? ` AND name IN ('', '${DEFAULT_CONVERSATION_NAME}')` : '';
  // As in Dify, a generated name does not move the conversation in the updated_at order.
  const result = await deps.pool.query(`UPDATE conversations SET name = $1 WHERE id = $2${guard}`, [
    name,
    task.conversationId,
  ]);
  return result.rowCount ? name : undefined;
}
