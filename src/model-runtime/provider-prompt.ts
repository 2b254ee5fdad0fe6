/**
 * Dify prompt messages → the AI SDK's language-model prompt (LanguageModelV3Prompt), and the stream
 * parts of both specification versions (V3, and V2 models a plugin may hand over) read the same way.
 */
import type { LanguageModelV3Prompt } from '@ai-sdk/provider';
import type { PromptMessage } from './types.js';
import { textOf } from './tokens.js';

function filePart(url: string, mimeType?: string) {
  // A data: URL goes as bytes (base64) with its media type; http(s) URLs as URLs (providers fetch them).
  const data = /^data:([^;,]+)?(;base64)?,(.*)$/s.exec(url);
  if (data)
    return {
      type: 'file' as const,
      data: data[2] ? (data[3] ?? '') : Buffer.from(decodeURIComponent(data[3] ?? '')).toString('base64'),
      mediaType: mimeType ?? data[1] ?? 'image/png',
    };
  return { type: 'file' as const, data: new URL(url), mediaType: mimeType ?? 'image/*' };
}

export function toProviderPrompt(messages: PromptMessage[]): LanguageModelV3Prompt {
  return messages.map((message) => {
    if (message.role === 'system') return { role: 'system', content: textOf(message.content) };
    if (message.role === 'assistant')
      return { role: 'assistant', content: [{ type: 'text', text: textOf(message.content) }] };
    const parts =
      typeof message.content === 'string'
        ? [{ type: 'text' as const, text: message.content }]
        : message.content.map((p) =>
            p.type === 'text' ? { type: 'text' as const, text: p.text } : filePart(p.url, p.mimeType),
          );
    return { role: 'user', content: parts };
  });
}

/** Token counts of a finish part: V3 nests them ({ total }), V2 gives numbers. */
export function usageOfFinish(usage: unknown): { inputTokens?: number; outputTokens?: number } {
  const read = (value: unknown): number | undefined =>
    typeof value === 'number'
      ? value
      : typeof (value as { total?: unknown } | undefined)?.total === 'number'
        ? (value as { total: number }).total
        : undefined;
  const u = usage as { inputTokens?: unknown; outputTokens?: unknown } | undefined;
  return { inputTokens: read(u?.inputTokens), outputTokens: read(u?.outputTokens) };
}

/** V3: { unified, raw }; V2: the string. */
export function finishReasonOf(reason: unknown): 'stop' | 'length' | 'other' {
  const value = typeof reason === 'string' ? reason : (reason as { unified?: unknown } | undefined)?.unified;
  return value === 'stop' ? 'stop' : value === 'length' ? 'length' : 'other';
}

/**
 * Why a finish part says the stream failed, if it does: the provider reported an error, or it saw
 * no finish reason at all — what an SDK reports for a body it could not read as a stream (garbage,
 * not SSE) or one cut off early. @ai-sdk/openai then only finishes with `{ unified: 'other', raw:
 * undefined }` (no error part), where @ai-sdk/openai-compatible adds an error part; both must fail
 * the call, not end it as an empty answer. V2 models say `unknown` for "no reason".
 */
export function finishFailure(reason: unknown): string | undefined {
  if (typeof reason === 'string')
    return reason === 'error'
      ? 'the provider reported an error.'
      : reason === 'unknown'
        ? 'Response stream ended without a finish reason.'
        : undefined;
  const { unified, raw } = (reason ?? {}) as { unified?: unknown; raw?: unknown };
  if (unified === 'error') return 'the provider reported an error.';
  if (unified === undefined || (unified === 'other' && raw === undefined))
    return 'Response stream ended without a finish reason.';
  return undefined;
}
