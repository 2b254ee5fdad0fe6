/**
 * Answers of the OpenAI-compatible door: a generation as an OpenAI document or as OpenAI's SSE
 * chunks, and the apps domain's errors with the status OpenAI clients expect (the door's onSend hook
 * gives every error body OpenAI's shape).
 */
import type { FastifyReply } from 'fastify';
import { AppRequestError, type Generation } from '../../../apps/index.js';
import {
  collectAnswer,
  firstEventChecked,
  openAiStatus,
  PING_FRAME,
  streamEncoder,
  type AnswerKind,
} from '../../../apps/openai/index.js';
import { ModelRuntimeError } from '../../../model-runtime/types.js';
import { HttpError } from '../../http-error.js';
import { sseStream } from '../service-api/render.js';

/** Runs a call into the apps domain or the model runtime; its errors leave with OpenAI's status. */
export async function doorCall<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppRequestError || error instanceof ModelRuntimeError) {
      throw new HttpError(
        openAiStatus({ code: error.code, message: error.message, status: error.status, kind: error.kind }),
        error.code,
        error.message,
      );
    }
    throw error;
  }
}

export interface AnswerOptions {
  kind: AnswerKind;
  /** The model the client named (echoed back, as OpenAI does). */
  model: string;
  stream: boolean;
  includeUsage: boolean;
  pingMs?: number;
  onError?: (error: unknown) => void;
}

/** A generation as OpenAI answers it; the Dify ids travel in `X-Dify-*` headers. */
export async function renderAnswer(
  reply: FastifyReply,
  generation: Generation,
  options: AnswerOptions,
): Promise<unknown> {
  const meta = {
    kind: options.kind,
    id: `${options.kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${generation.messageId}`,
    created: generation.createdAt,
    model: options.model,
  };
  reply.header('x-dify-message-id', generation.messageId).header('x-dify-task-id', generation.taskId);
  if (generation.conversationId) reply.header('x-dify-conversation-id', generation.conversationId);
  if (!options.stream) return doorCall(() => collectAnswer(meta, generation.events));
  // Headers go with the first event: a failure before any token answers with its status.
  const events = await doorCall(() => firstEventChecked(generation.events));
  reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no');
  return reply.send(
    sseStream(
      { ...generation, events },
      {
        encode: streamEncoder(meta, { includeUsage: options.includeUsage }),
        ping: PING_FRAME,
        pingMs: options.pingMs,
        onError: options.onError,
      },
    ),
  );
}
