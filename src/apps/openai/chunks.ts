/**
 * A generation's Dify events as OpenAI's answers: `chat.completion` / `text_completion` documents
 * (blocking) and their chunks (streaming: a first chunk with the role, content deltas, a final chunk
 * with `finish_reason`, a usage chunk when `stream_options.include_usage`, then `data: [DONE]`).
 */
import { AppRequestError } from '../errors.js';
import type { AppEvent, MessageMetadata } from '../events.js';
import { afterAnswerStarted, openAiErrorBody, openAiStatus } from './errors.js';

export type AnswerKind = 'chat' | 'text';

export interface AnswerMeta {
  kind: AnswerKind;
  /** `chatcmpl-…` / `cmpl-…` */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model the client asked for, echoed back as OpenAI does. */
  model: string;
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type FinishReason = 'stop' | 'length' | 'content_filter';

export const usageOf = (metadata: MessageMetadata): OpenAiUsage => ({
  prompt_tokens: metadata.usage.prompt_tokens,
  completion_tokens: metadata.usage.completion_tokens,
  total_tokens: metadata.usage.total_tokens,
});

export const finishReasonOf = (e: Extract<AppEvent, { event: 'message_end' }>, replaced: boolean): FinishReason =>
  replaced ? 'content_filter' : e.finishReason === 'length' ? 'length' : 'stop';

const objectOf = (meta: AnswerMeta, chunk: boolean): string =>
  meta.kind === 'chat' ? (chunk ? 'chat.completion.chunk' : 'chat.completion') : 'text_completion';

/** The blocking document. */
export function answerDocument(
  meta: AnswerMeta,
  answer: string,
  finishReason: FinishReason,
  usage: OpenAiUsage,
): Record<string, unknown> {
  const choice =
    meta.kind === 'chat'
      ? {
          index: 0,
          message: { role: 'assistant', content: answer, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finishReason,
        }
      : { text: answer, index: 0, logprobs: null, finish_reason: finishReason };
  return {
    id: meta.id,
    object: objectOf(meta, false),
    created: meta.created,
    model: meta.model,
    choices: [choice],
    usage,
    system_fingerprint: null,
  };
}

const frame = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
export const DONE_FRAME = 'data: [DONE]\n\n';
/** An SSE comment: OpenAI's clients skip it (an `event: ping` would reach them as a chunk). */
export const PING_FRAME = ': ping\n\n';

/**
 * A stateful encoder of one streamed answer: each Dify event → the SSE text to write ('' for none).
 * An `error` event becomes `data: {"error": …}` (OpenAI's in-stream error, which its SDKs raise) and
 * ends the answer without `[DONE]`.
 */
export function streamEncoder(meta: AnswerMeta, options: { includeUsage: boolean }): (e: AppEvent) => string {
  let started = false;
  let replaced = false;
  const chunk = (choices: unknown[], usage?: OpenAiUsage): string =>
    frame({
      id: meta.id,
      object: objectOf(meta, true),
      created: meta.created,
      model: meta.model,
      system_fingerprint: null,
      choices,
      ...(options.includeUsage ? { usage: usage ?? null } : {}),
    });
  const choice = (content: string | undefined, finishReason: FinishReason | null): unknown => {
    if (meta.kind === 'text') return { text: content ?? '', index: 0, logprobs: null, finish_reason: finishReason };
    const delta: Record<string, unknown> = {};
    if (!started) delta.role = 'assistant';
    if (content !== undefined) delta.content = content;
    return { index: 0, delta, logprobs: null, finish_reason: finishReason };
  };
  const content = (text: string): string => {
    const out = chunk([choice(text, null)]);
    started = true;
    return out;
  };
  return (e) => {
    switch (e.event) {
      case 'message':
        return content(e.answer);
      case 'message_replace':
        // An answer cannot be taken back in OpenAI's stream: the moderation's answer follows, and the
        // answer ends with `content_filter`.
        replaced = true;
        return content(e.answer);
      case 'message_file':
        return '';
      case 'message_end': {
        const head = meta.kind === 'chat' && !started ? content('') : '';
        const last = chunk([choice(meta.kind === 'chat' ? undefined : '', finishReasonOf(e, replaced))]);
        const usage = options.includeUsage ? chunk([], usageOf(e.metadata)) : '';
        return head + last + usage + DONE_FRAME;
      }
      case 'error': {
        const error = started ? afterAnswerStarted(e) : e;
        return frame(openAiErrorBody(error, openAiStatus(error)));
      }
    }
  };
}

/**
 * The blocking answer: the events collected into one document.
 * @throws AppRequestError the stream's `error` event (its code, message, status and kind)
 */
export async function collectAnswer(
  meta: AnswerMeta,
  events: AsyncIterable<AppEvent>,
): Promise<Record<string, unknown>> {
  let answer = '';
  let replaced = false;
  let started = false;
  for await (const e of events) {
    if (e.event === 'message') {
      answer += e.answer;
      started = true;
    } else if (e.event === 'message_replace') {
      answer = e.answer;
      replaced = true;
    } else if (e.event === 'error') {
      const error = started ? afterAnswerStarted(e) : e;
      throw new AppRequestError(error.code, error.message, error.status, error.kind);
    } else if (e.event === 'message_end')
      return answerDocument(meta, answer, finishReasonOf(e, replaced), usageOf(e.metadata));
  }
  throw new AppRequestError('internal_server_error', 'The answer ended without a result.', 500);
}

/**
 * Waits for a generation's first event. An `error` first (the provider refused or is down before a
 * token came) is thrown, so that it answers with its HTTP status as OpenAI does, not inside a 200
 * stream; otherwise the events are given back whole, the first included.
 * @throws AppRequestError the first event's error (code, message, status, kind)
 */
export async function firstEventChecked(events: AsyncIterable<AppEvent>): Promise<AsyncIterable<AppEvent>> {
  const iterator = events[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (!first.done && first.value.event === 'error') {
    await iterator.return?.();
    const e = first.value;
    throw new AppRequestError(e.code, e.message, e.status, e.kind);
  }
  return (async function* () {
    if (first.done) return;
    // A consumer that stops early ends the generation too (its finally completes the message row).
    try {
      yield first.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await iterator.return?.();
    }
  })();
}
