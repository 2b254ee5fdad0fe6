/**
 * Prices and context sizes of well-known models, in Dify's pricing form (model YAML `pricing`:
 * `input`/`output` per `unit` tokens, here USD per token × 0.000001, i.e. per million tokens).
 * A model is matched by its name or the longest known prefix (`gpt-4o-2024-08-06` → `gpt-4o`);
 * anything else costs "0". Figures are the providers' published list prices.
 */
export interface PriceInfo {
  input: string;
  output: string;
  unit: string;
  currency: string;
}

const PER_MILLION = '0.000001';
const usd = (input: string, output: string): PriceInfo => ({ input, output, unit: PER_MILLION, currency: 'USD' });

const PRICES: Record<string, PriceInfo> = {
  'gpt-4o-mini': usd('0.15', '0.60'),
  'gpt-4o': usd('2.50', '10.00'),
  'gpt-4.1-nano': usd('0.10', '0.40'),
  'gpt-4.1-mini': usd('0.40', '1.60'),
  'gpt-4.1': usd('2.00', '8.00'),
  'gpt-4-turbo': usd('10.00', '30.00'),
  'gpt-4-32k': usd('60.00', '120.00'),
  'gpt-4': usd('30.00', '60.00'),
  'gpt-3.5-turbo-instruct': usd('1.50', '2.00'),
  'gpt-3.5-turbo': usd('0.50', '1.50'),
  'gpt-35-turbo': usd('0.50', '1.50'),
  'o1-mini': usd('1.10', '4.40'),
  o1: usd('15.00', '60.00'),
  'o3-mini': usd('1.10', '4.40'),
  'text-embedding-3-small': usd('0.02', '0'),
  'text-embedding-3-large': usd('0.13', '0'),
  'text-embedding-ada-002': usd('0.10', '0'),
  'claude-opus-4': usd('15.00', '75.00'),
  'claude-sonnet-4': usd('3.00', '15.00'),
  'claude-3-7-sonnet': usd('3.00', '15.00'),
  'claude-3-5-sonnet': usd('3.00', '15.00'),
  'claude-3-5-haiku': usd('0.80', '4.00'),
  'claude-3-opus': usd('15.00', '75.00'),
  'claude-3-haiku': usd('0.25', '1.25'),
};

const CONTEXT: Record<string, number> = {
  'gpt-4o': 128_000,
  'gpt-4.1': 1_047_576,
  'gpt-4-turbo': 128_000,
  'gpt-4-32k': 32_768,
  'gpt-4': 8_192,
  'gpt-3.5-turbo-instruct': 4_096,
  'gpt-3.5-turbo': 16_385,
  'gpt-35-turbo': 16_385,
  o1: 200_000,
  'o3-mini': 200_000,
  claude: 200_000,
  'text-embedding': 8_191,
};

function longestPrefix<T>(table: Record<string, T>, model: string): T | undefined {
  let best: string | undefined;
  for (const key of Object.keys(table)) if (model.startsWith(key) && (!best || key.length > best.length)) best = key;
  return best === undefined ? undefined : table[best];
}

/** The list price of a model, if it is a well-known one. */
export function priceOf(model: string): PriceInfo | undefined {
  return longestPrefix(PRICES, model);
}

/** The context window of a well-known model, if known. */
export function contextSizeOf(model: string): number | undefined {
  return longestPrefix(CONTEXT, model);
}
