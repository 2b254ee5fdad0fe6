/**
 * One generation = one stream of Dify events. Blocking collects it, SSE writes it; the renderings
 * below give Dify's exact JSON field order (core/app/apps/*\/generate_response_converter.py,
 * core/app/entities/task_entities.py, 1.x).
 */
import type { InvokeErrorKind, LlmResult, LlmUsage } from '../model-runtime/types.js';
import { AppRequestError } from './errors.js';

/** `metadata` of message_end and of the blocking answer (TaskStateMetadata). */
export interface MessageMetadata {
  annotation_reply: null;
  retriever_resources: unknown[];
  usage: LlmUsage;
}

type LlmFinishReason = LlmResult['finishReason'];

export type AppEvent =
  | { event: 'message'; answer: string }
  | { event: 'message_replace'; answer: string; reason: string }
  | { event: 'message_file'; id: string; type: string; belongs_to: 'user' | 'assistant'; url: string }
  | {
      event: 'message_end';
      metadata: MessageMetadata;
      files: unknown[] | null /** The model's reason to end (not rendered by Dify's routes). */;
      finishReason?: LlmFinishReason;
    }
  | {
      event: 'error';
      code: string;
      status: number;
      message: string /** The model runtime's failure kind (not rendered by Dify's routes). */;
      kind?: InvokeErrorKind;
    };

/** What every event of a generation shares. */
export interface Generation {
  taskId: string;
  messageId: string;
  /** Chat apps only (completion answers carry none). */
  conversationId?: string;
  mode: string;
  /** Unix seconds of the message row. */
  createdAt: number;
  events: AsyncIterable<AppEvent>;
}

function body(generation: Generation, e: AppEvent): Record<string, unknown> {
  const task_id = generation.taskId;
  switch (e.event) {
    case 'message':
      return { task_id, id: generation.messageId, answer: e.answer, from_variable_selector: null };
    case 'message_replace':
      return { task_id, answer: e.answer, reason: e.reason };
    case 'message_file':
      return { task_id, id: e.id, type: e.type, belongs_to: e.belongs_to, url: e.url };
    case 'message_end':
      return { task_id, id: generation.messageId, metadata: e.metadata, files: e.files };
    case 'error':
      return e.code === 'provider_quota_exceeded'
        ? { code: e.code, message: e.message, status: e.status }
        : { code: e.code, status: e.status, message: e.message };
  }
}

/** One SSE chunk's JSON object, as Dify's converters build it (envelope first, then the event's fields). */
function streamChunk(generation: Generation, e: AppEvent): Record<string, unknown> {
  const envelope: Record<string, unknown> = { event: e.event };
  if (generation.conversationId !== undefined) envelope.conversation_id = generation.conversationId;
  envelope.message_id = generation.messageId;
  envelope.created_at = generation.createdAt;
  return { ...envelope, ...body(generation, e) };
}

/** `data: {json}\n\n`: Dify's event-stream framing (orjson: compact, UTF-8). */
const sseData = (chunk: Record<string, unknown>): string => `data: ${JSON.stringify(chunk)}\n\n`;
export const SSE_PING = 'event: ping\n\n';

/** One event of a generation as Dify's SSE stream writes it: its chunk, framed. */
export const sseEvent = (generation: Generation, e: AppEvent): string => sseData(streamChunk(generation, e));

/**
 * The blocking answer: the stream collected into Dify's `{"event": "message", …}` document.
 * @throws AppRequestError the stream's `error` event (its code, message and status)
 */
export async function collectBlocking(generation: Generation): Promise<Record<string, unknown>> {
  let answer = '';
  for await (const e of generation.events) {
    if (e.event === 'message') answer += e.answer;
    else if (e.event === 'message_replace') answer = e.answer;
    else if (e.event === 'error') throw new AppRequestError(e.code, e.message, e.status);
    else if (e.event === 'message_end') {
      const doc: Record<string, unknown> = {
        event: 'message',
        task_id: generation.taskId,
        id: generation.messageId,
        message_id: generation.messageId,
      };
      if (generation.conversationId !== undefined) doc.conversation_id = generation.conversationId;
      return { ...doc, mode: generation.mode, answer, metadata: e.metadata, created_at: generation.createdAt };
    }
  }
  throw new AppRequestError('internal_server_error', 'The answer ended without a result.', 500);
}
