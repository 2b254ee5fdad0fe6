/**
 * Token counting with gpt-tokenizer's cl100k_base (GPT-3.5/4's encoding; Dify counts OpenAI models
 * with tiktoken and others with a GPT-2 tokenizer: one BPE for all is close enough for memory windows
 * and usage when a provider reports none). The encoding is loaded on first use, synchronously through
 * its CommonJS build, so that importing the runtime stays cheap (the ranks take ~0.3–1 s to load).
 */
import { createRequire } from 'node:module';
import type { PromptMessage } from './types.js';

type Encoder = { countTokens(text: string): number };
let encoder: Encoder | undefined;

function load(): Encoder {
  // gpt-tokenizer ships a CommonJS build of each encoding; require() keeps countTokens synchronous.
  encoder ??= createRequire(import.meta.url)('gpt-tokenizer/cjs/encoding/cl100k_base') as Encoder;
  return encoder;
}

/** OpenAI's chat accounting: 3 tokens of framing per message, 3 to prime the reply. */
const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;

export function textOf(content: PromptMessage['content']): string {
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

export function countTokens(input: string | PromptMessage[]): number {
  const enc = load();
  if (typeof input === 'string') return input ? enc.countTokens(input) : 0;
  let total = input.length ? REPLY_PRIMING : 0;
  for (const message of input)
    total += PER_MESSAGE + enc.countTokens(message.role) + enc.countTokens(textOf(message.content));
  return total;
}

/**
 * A bound countTokens never exceeds, without loading or running the encoder: a byte-level BPE token
 * covers at least one byte of UTF-8. A prompt under it fits without being counted.
 */
export function tokenUpperBound(input: PromptMessage[]): number {
  let total = input.length ? REPLY_PRIMING : 0;
  for (const message of input)
    total += PER_MESSAGE + Buffer.byteLength(message.role) + Buffer.byteLength(textOf(message.content));
  return total;
}
