import type pg from 'pg';
import { loadAppConfig } from '../../apps/model-config/index.js';
import { ModelRuntimeError, type ModelRuntime } from '../../model-runtime/types.js';
import { HttpError, notFound } from '../http-error.js';
import { utilityModel } from './conversation-names.js';
import { getOwnMessage } from './messages.js';

/** Dify reads the last 3 exchanges, within 3000 tokens, for suggestions. */
const HISTORY_MESSAGES = 3;
const HISTORY_TOKENS = 3000;
/** Dify's SUGGESTED_QUESTIONS_MAX_TOKENS and _TEMPERATURE. */
const MAX_TOKENS = 256;
const TEMPERATURE = 0;

export const suggestionsDisabled = (): HttpError =>
  new HttpError(
    403,
    'app_suggested_questions_after_answer_disabled',
    'Function Suggested questions after answer disabled.',
  );

/** The instruction after the history: three short questions as a JSON array (the shape Dify's parser reads). */
export function suggestionsPrompt(histories: string): string {
  return [
    histories,
    'Predict the three questions the human is most likely to ask next, each under 20 characters,',
    "in the language of the Assistant's latest answer.",
    'Output only a JSON array of strings: ["question1","question2","question3"]',
    'questions:',
    '',
  ].join('\n');
}

/** Dify's parser: the first `[...]` of the answer as JSON, strings only; anything else is no suggestion. */
export function parseSuggestions(text: string): string[] {
  const match = /\[.*?\]/s.exec(text.trim());
  if (!match) return [];
  try {
    const parsed: unknown = JSON.parse(match[0]);
    return Array.isArray(parsed)
      ? parsed.filter((q): q is string => typeof q === 'string' && q.trim() !== '').map((q) => q.trim())
      : [];
  } catch {
    return [];
  }
}

/** "Human: …\nAssistant: …" of the newest exchanges, oldest first, dropping the oldest past the token budget. */
async function histories(pool: pg.Pool, runtime: ModelRuntime, conversationId: string): Promise<string> {
  const { rows } = await pool.query<{ query: string; answer: string }>(
    `SELECT query, answer FROM messages WHERE conversation_id = $1 AND answer <> '' ORDER BY created_at DESC LIMIT ${HISTORY_MESSAGES}`,
    [conversationId],
  );
  const turns = rows.reverse().map((r) => `Human: ${r.query}\nAssistant: ${r.answer}`);
  while (turns.length > 1 && runtime.countTokens(turns.join('\n')) > HISTORY_TOKENS) turns.shift();
  return turns.join('\n');
}

/**
 * GET /messages/:id/suggested: questions the end user may ask next, when the conversation's config
 * enables `suggested_questions_after_answer`. As in Dify, a model that fails to answer yields no
 * questions rather than an error.
 * @throws HttpError 404 for another user's message or a deleted conversation, 403 when disabled, 400 provider_not_initialize without a model
 */
export async function suggestedQuestions(
  deps: { pool: pg.Pool; runtime: ModelRuntime },
  input: { appId: string; tenantId: string; endUserId: string; messageId: string },
): Promise<string[]> {
  const message = await getOwnMessage(deps.pool, input);
  const { rows } = await deps.pool.query<{
    app_model_config_id: string | null;
    model_provider: string | null;
    model_id: string | null;
    owned: boolean;
  }>(
    // By its key alone, the scope checked on the row (docs/ARCHITECTURE.md, "Lookups by key").
    `SELECT app_model_config_id, model_provider, model_id, (from_end_user_id = $2 AND NOT is_deleted) AS owned
       FROM conversations WHERE id = $1`,
    [message.conversation_id, input.endUserId],
  );
  const conversation = rows[0];
  if (!conversation?.owned) throw notFound('Conversation not found');
  const record = await loadAppConfig(
    deps.pool,
    input.appId,
    conversation.app_model_config_id ? { configId: conversation.app_model_config_id } : {},
  );
  if (!record?.config)
    throw new HttpError(400, 'app_unavailable', 'App unavailable, please check your app configurations.');
  if (!record.config.suggested_questions_after_answer.enabled) throw suggestionsDisabled();
  const appModel = record.config.model;
  const model = await utilityModel(deps.runtime, {
    tenantId: input.tenantId,
    fallback: {
      provider: appModel?.provider ?? conversation.model_provider,
      model: appModel?.name ?? conversation.model_id,
    },
  });
  if (!model)
    throw new HttpError(
      400,
      'provider_not_initialize',
      'No valid model provider credentials found. Please go to Settings -> Model Provider to complete your provider credentials.',
    );
  const prompt = suggestionsPrompt(await histories(deps.pool, deps.runtime, message.conversation_id));
  try {
    const call = deps.runtime.invokeLlm({
      tenantId: input.tenantId,
      ...model,
      messages: [{ role: 'user', content: prompt }],
      parameters: { max_tokens: MAX_TOKENS, temperature: TEMPERATURE },
    });
    const result = await call.result;
    return parseSuggestions(result.text);
  } catch (error) {
    if (error instanceof ModelRuntimeError) return [];
    throw error;
  }
}
