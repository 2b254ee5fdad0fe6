import type { LlmUsage } from '../../src/model-runtime/types.js';

/** A model call's usage without prices: `prompt` and `completion` tokens, their total, `latency` seconds. */
export const freeUsage = (prompt: number, completion: number, latency: number): LlmUsage => ({
  prompt_tokens: prompt,
  prompt_unit_price: '0',
  prompt_price_unit: '0',
  prompt_price: '0',
  completion_tokens: completion,
  completion_unit_price: '0',
  completion_price_unit: '0',
  completion_price: '0',
  total_tokens: prompt + completion,
  total_price: '0',
  currency: 'USD',
  latency,
});
