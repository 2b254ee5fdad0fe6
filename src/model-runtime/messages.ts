/** Dify completion params → the AI SDK's call settings; the prompt a completion model receives. */
import type { CompletionParams, PromptMessage } from './types.js';
import { textOf } from './tokens.js';

/** The prompt a completion-mode model receives: the messages' texts, as Dify sends one prompt. */
export function completionPrompt(messages: PromptMessage[]): string {
  return messages.map((m) => textOf(m.content)).join('\n\n');
}

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value)
    ? value
    : typeof value === 'string' && value.trim() && Number.isFinite(Number(value))
      ? Number(value)
      : undefined;

/** Dify's completion_params → AI SDK call settings; `maxTokensCap` bounds max_tokens (max_tokens_to_sample). */
export function callSettings(parameters: CompletionParams = {}, maxTokensCap?: number) {
  let maxOutputTokens = num(parameters.max_tokens);
  if (maxTokensCap && maxOutputTokens && maxOutputTokens > maxTokensCap) maxOutputTokens = maxTokensCap;
  const stop = Array.isArray(parameters.stop)
    ? parameters.stop.filter((s): s is string => typeof s === 'string' && s.length > 0)
    : undefined;
  return {
    ...(num(parameters.temperature) !== undefined ? { temperature: num(parameters.temperature) } : {}),
    ...(num(parameters.top_p) !== undefined ? { topP: num(parameters.top_p) } : {}),
    ...(num(parameters.top_k) !== undefined ? { topK: num(parameters.top_k) } : {}),
    ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
    ...(num(parameters.presence_penalty) !== undefined ? { presencePenalty: num(parameters.presence_penalty) } : {}),
    ...(num(parameters.frequency_penalty) !== undefined ? { frequencyPenalty: num(parameters.frequency_penalty) } : {}),
    ...(num(parameters.seed) !== undefined ? { seed: num(parameters.seed) } : {}),
    ...(stop?.length ? { stopSequences: stop } : {}),
  };
}
