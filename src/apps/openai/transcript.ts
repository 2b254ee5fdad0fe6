/**
 * An OpenAI `messages` transcript read as Dify reads a chat request: the last user message is the
 * query (its `image_url` parts become files), `system`/`developer` messages are the pre-prompt's
 * addition, and the user/assistant exchanges before it are the conversation so far.
 */
import { AppRequestError, invalidParam } from '../errors.js';
import type { HistoryTurn } from '../prompt.js';

export type OpenAiContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: string; [key: string]: unknown };

export interface OpenAiMessage {
  role: string;
  content?: string | OpenAiContentPart[] | null;
}

export interface Transcript {
  /** The last user message's text. */
  query: string;
  /** Image URLs of the last user message (http(s) or data:). */
  images: string[];
  /** system and developer messages, in order, joined by a blank line; '' if none. */
  system: string;
  /** Earlier exchanges, oldest first (a user message followed by the assistant's answer). */
  turns: HistoryTurn[];
}

const textOf = (content: OpenAiMessage['content'], where: string): string => {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, index) => {
      if (part.type === 'text' && typeof part.text === 'string') return part.text;
      if (part.type === 'image_url') return undefined;
      throw invalidParam(
        `${where}.content.${index}.type: ${String(part.type)} parts are not supported (text and image_url are)`,
      );
    })
    .filter((t): t is string => t !== undefined)
    .join('\n');
};

const imagesOf = (content: OpenAiMessage['content'], where: string): string[] => {
  if (!Array.isArray(content)) return [];
  return content.flatMap((part, index) => {
    if (part.type !== 'image_url') return [];
    const url = (part as { image_url?: { url?: unknown } }).image_url?.url;
    if (typeof url !== 'string' || !/^(https?:\/\/|data:image\/)/.test(url))
      throw invalidParam(`${where}.content.${index}.image_url.url: must be an http(s) URL or a data:image/… URL`);
    return [url];
  });
};

/**
 * @throws AppRequestError `invalid_param` for an empty transcript, a last message that is not the
 *   user's, tool or function messages (tools are not run here), or an unknown content part
 */
export function readTranscript(messages: OpenAiMessage[]): Transcript {
  if (!messages.length) throw invalidParam('messages: must hold at least one message');
  const lastIndex = messages.length - 1;
  const last = messages[lastIndex]!;
  if (last.role !== 'user')
    throw invalidParam(`messages.${lastIndex}.role: the last message must be the user's (got ${last.role})`);
  const system: string[] = [];
  const turns: HistoryTurn[] = [];
  let pending: string[] = [];
  for (const [index, message] of messages.slice(0, lastIndex).entries()) {
    const where = `messages.${index}`;
    if (message.role === 'system' || message.role === 'developer') system.push(textOf(message.content, where));
    else if (message.role === 'user') pending.push(textOf(message.content, where));
    else if (message.role === 'assistant') {
      turns.push({ query: pending.join('\n'), answer: textOf(message.content, where) });
      pending = [];
    } else
      throw new AppRequestError(
        'invalid_param',
        `${where}.role: ${message.role} messages are not supported (the app's tools are its own)`,
      );
  }
  // User messages in a row before the last one are read as one query with it.
  const query = [...pending, textOf(last.content, `messages.${lastIndex}`)].join('\n');
  return {
    query,
    images: imagesOf(last.content, `messages.${lastIndex}`),
    system: system.filter(Boolean).join('\n\n'),
    turns,
  };
}

/** The prompt of a legacy completion request (`prompt`: a string or one string in a list). */
export function readPrompt(prompt: string | string[]): string {
  if (typeof prompt === 'string') return prompt;
  if (prompt.length !== 1) throw invalidParam('prompt: one prompt per request (a list of one string)');
  return prompt[0]!;
}

/**
 * How many of the transcript's turns a stored conversation covers: its turns must be the last ones
 * of the transcript (compared without surrounding whitespace, as answers are stored trimmed); 0
 * when they are not.
 */
export function coveredTurns(transcript: HistoryTurn[], stored: HistoryTurn[]): number {
  if (!stored.length || stored.length > transcript.length) return 0;
  const offset = transcript.length - stored.length;
  const same = stored.every(
    (turn, i) =>
      turn.query.trim() === transcript[offset + i]!.query.trim() &&
      turn.answer.trim() === transcript[offset + i]!.answer.trim(),
  );
  return same ? stored.length : 0;
}
