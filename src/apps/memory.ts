/**
 * Conversation memory within the model's context size (Dify's TokenBufferMemory + rest-token
 * arithmetic): the room left is the context size minus the answer's `max_tokens` minus the prompt
 * without history; the newest exchanges that fit are kept, oldest dropped first.
 */
import type pg from 'pg';
import { tokenUpperBound } from '../model-runtime/index.js';
import type { ModelRuntime, PromptMessage } from '../model-runtime/types.js';
import { AppRequestError } from './errors.js';
import { assemblePrompt, type HistoryTurn, type Prompt, type PromptInput } from './prompt.js';

/** At most this many earlier messages are read (Dify's message_limit). */
export const HISTORY_MESSAGE_LIMIT = 500;

/**
 * SQL: the earlier exchanges of the conversation `conversationId` (a parameter or a column) that have
 * an answer, newest first, at most HISTORY_MESSAGE_LIMIT; columns query, answer, created_at.
 */
export const historyRows = (conversationId: string): string =>
  `SELECT query, answer, created_at FROM messages
    WHERE conversation_id = ${conversationId} AND answer <> '' AND status <> 'error'
    ORDER BY created_at DESC LIMIT ${HISTORY_MESSAGE_LIMIT}`;

/** Earlier exchanges of a conversation that have an answer, oldest first. */
export async function loadHistory(db: pg.Pool, conversationId: string): Promise<HistoryTurn[]> {
  const { rows } = await db.query<HistoryTurn>({
    name: 'apps.history.load',
    text: historyRows('$1'),
    values: [conversationId],
  });
  return rows.reverse().map(({ query, answer }) => ({ query, answer }));
}

const turnMessages = (turn: HistoryTurn): PromptMessage[] => [
  { role: 'user', content: turn.query },
  { role: 'assistant', content: turn.answer },
];

/**
 * The prompt with as much history as fits. `countTokens` counts a byte-level BPE (never more tokens than
 * UTF-8 bytes), so a prompt whose byte count fits is not counted at all.
 * @throws AppRequestError `completion_request_error` when even the prompt without history does not fit
 */
export function fitHistory(
  input: Omit<PromptInput, 'history'> & {
    history: HistoryTurn[];
    contextSize: number;
    countTokens: ModelRuntime['countTokens'];
  },
): Prompt {
  const maxTokens = Number(input.config.model?.completion_params.max_tokens ?? 0) || 0;
  // Most prompts are far below the context size: when even one token per byte fits, nothing is counted.
  const whole = assemblePrompt(input);
  if (tokenUpperBound(whole.messages) <= input.contextSize - maxTokens) return whole;
  const bare = assemblePrompt({ ...input, history: [] });
  const rest = input.contextSize - maxTokens - input.countTokens(bare.messages);
  if (rest < 0) {
    throw new AppRequestError(
      'completion_request_error',
      'Query or prefix prompt is too long, you can reduce the prefix prompt, or shrink the max token, or switch to a llm with a larger token limit size.',
    );
  }
  const kept: HistoryTurn[] = [];
  let used = 0;
  for (let i = input.history.length - 1; i >= 0; i--) {
    const turn = input.history[i]!;
    // Framing tokens of the two messages are counted with them (countTokens of a list adds them).
    const cost = input.countTokens(turnMessages(turn)) - input.countTokens([]);
    if (used + cost > rest) break;
    used += cost;
    kept.unshift(turn);
  }
  return kept.length ? assemblePrompt({ ...input, history: kept }) : bare;
}
