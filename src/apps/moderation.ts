/**
 * Dify's `keywords` moderation (sensitive_word_avoidance with type `keywords`): inputs and query that
 * contain a keyword are answered with the preset response without calling the model; an answer that
 * contains one is replaced at the end (a `message_replace` event). Other moderation types (OpenAI,
 * API extensions) need services that are not configured here: they let everything through.
 */
import type { AppModelConfigDict } from './model-config/index.js';

interface Side {
  enabled?: boolean;
  preset_response?: string;
}

interface KeywordsConfig {
  keywords?: string;
  inputs_config?: Side;
  outputs_config?: Side;
}

export interface Moderation {
  /** The preset response when the inputs or query must not reach the model. */
  checkInputs(inputs: Record<string, unknown>, query: string): string | undefined;
  /** The preset response when the answer must be replaced. */
  checkOutput(answer: string): string | undefined;
}

const NONE: Moderation = { checkInputs: () => undefined, checkOutput: () => undefined };

export function moderationFor(config: AppModelConfigDict): Moderation {
  const swa = config.sensitive_word_avoidance;
  if (!swa.enabled || swa.type !== 'keywords') return NONE;
  // The config of the `keywords` type (its shape in Dify's moderation extension); missing keys read as off.
  const cfg = (swa.config ?? {}) as KeywordsConfig;
  // Dify splits on newlines and ignores empty lines; matching is case-insensitive.
  const keywords = (cfg.keywords ?? '')
    .split('\n')
    .map((k) => k.trim().toLowerCase())
    .filter(Boolean);
  const hit = (text: string): boolean => {
    const lower = text.toLowerCase();
    return keywords.some((k) => lower.includes(k));
  };
  const preset = (side: Side | undefined): string => side?.preset_response ?? '';
  return {
    checkInputs: (inputs, query) => {
      if (!cfg.inputs_config?.enabled) return undefined;
      const texts = [...Object.values(inputs).map((v) => (typeof v === 'string' ? v : '')), query];
      return texts.some(hit) ? preset(cfg.inputs_config) : undefined;
    },
    checkOutput: (answer) => (cfg.outputs_config?.enabled && hit(answer) ? preset(cfg.outputs_config) : undefined),
  };
}
