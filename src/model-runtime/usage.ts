/**
 * Dify's usage arithmetic (core/model_runtime: `get_price`, `_calc_response_usage`) with exact
 * decimals: price = tokens × unit_price × price_unit, rounded half-up to 7 decimal places; the total
 * is the sum of the two rounded prices. Unpriced models answer Dify's empty values ("0.0").
 */
import type { PriceInfo } from './prices.js';
import type { LlmUsage } from './types.js';

const SCALE = 7;

/** A decimal string as an integer of units of 10^-scale. */
function parse(value: string): { int: bigint; scale: number } {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!match) throw new Error(`not a decimal: ${value}`);
  const [, sign = '', whole = '', frac = ''] = match;
  return { int: BigInt(`${sign}${whole || '0'}${frac}`), scale: frac.length };
}

function roundTo(int: bigint, scale: number, target: number): bigint {
  if (scale <= target) return int * 10n ** BigInt(target - scale);
  const divisor = 10n ** BigInt(scale - target);
  const quotient = int / divisor;
  const remainder = int % divisor;
  // Half-up (away from zero), as Python's ROUND_HALF_UP.
  if (remainder * 2n >= divisor) return quotient + 1n;
  if (remainder * 2n <= -divisor) return quotient - 1n;
  return quotient;
}

function format(int: bigint, scale: number): string {
  const negative = int < 0n;
  const digits = (negative ? -int : int).toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

/** tokens × unitPrice × priceUnit, rounded to 7 places, as Dify's `PriceInfo.total_amount`. */
export function priceFor(tokens: number, unitPrice: string, priceUnit: string): string {
  const a = parse(unitPrice);
  const b = parse(priceUnit);
  return format(roundTo(BigInt(tokens) * a.int * b.int, a.scale + b.scale, SCALE), SCALE);
}

export function addPrices(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  return format(x.int * 10n ** BigInt(scale - x.scale) + y.int * 10n ** BigInt(scale - y.scale), scale);
}

/** Dify's LLMUsage for a call: token counts, prices where known, latency in seconds. */
export function llmUsage(input: {
  promptTokens: number;
  completionTokens: number;
  price?: PriceInfo;
  latencySeconds: number;
}): LlmUsage {
  const { promptTokens, completionTokens, price } = input;
  const promptPrice = price ? priceFor(promptTokens, price.input, price.unit) : '0.0';
  const completionPrice = price ? priceFor(completionTokens, price.output, price.unit) : '0.0';
  return {
    prompt_tokens: promptTokens,
    prompt_unit_price: price?.input ?? '0.0',
    prompt_price_unit: price?.unit ?? '0.0',
    prompt_price: promptPrice,
    completion_tokens: completionTokens,
    completion_unit_price: price?.output ?? '0.0',
    completion_price_unit: price?.unit ?? '0.0',
    completion_price: completionPrice,
    total_tokens: promptTokens + completionTokens,
    total_price: price ? addPrices(promptPrice, completionPrice) : '0.0',
    currency: price?.currency ?? 'USD',
    latency: input.latencySeconds,
  };
}

/** Embedding usage: tokens × input price, like Dify's EmbeddingUsage. */
export function embeddingPrice(tokens: number, price?: PriceInfo): string {
  return price ? priceFor(tokens, price.input, price.unit) : '0.0';
}
