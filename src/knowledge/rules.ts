import type { PreProcessingRule } from './clean.js';
import { invalidParam } from './errors.js';
import type { SegmentationRule } from './split.js';

/** A document's process rule as stored and applied (Dify's DatasetProcessRule). */
export interface ProcessRule {
  mode: 'automatic' | 'custom';
  rules: { pre_processing_rules: PreProcessingRule[]; segmentation: SegmentationRule };
}

/** Dify's DatasetProcessRule.AUTOMATIC_RULES. */
export const AUTOMATIC_RULES: ProcessRule['rules'] = {
  pre_processing_rules: [
    { id: 'remove_extra_spaces', enabled: true },
    { id: 'remove_urls_emails', enabled: false },
  ],
  segmentation: { separator: '\n', max_tokens: 500, chunk_overlap: 50 },
};

/** INDEXING_MAX_SEGMENTATION_TOKENS_LENGTH's default. */
export const MAX_SEGMENTATION_TOKENS = 4000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A request's `process_rule` checked as Dify's DocumentService.process_rule_args_validate does
 * (same messages); missing means automatic. `\n` written as the two characters `\\n` is a newline.
 */
export function resolveProcessRule(input: unknown): ProcessRule {
  if (input === undefined || input === null) return { mode: 'automatic', rules: AUTOMATIC_RULES };
  if (!isRecord(input) || !input.mode) throw invalidParam('Process rule mode is required');
  if (input.mode === 'automatic') return { mode: 'automatic', rules: AUTOMATIC_RULES };
  if (input.mode !== 'custom') throw invalidParam('Process rule mode is invalid');
  const rules = input.rules;
  if (!isRecord(rules)) throw invalidParam('Process rule rules is required');
  if (!Array.isArray(rules.pre_processing_rules)) throw invalidParam('Process rule pre_processing_rules is required');
  const pre = rules.pre_processing_rules.map((rule): PreProcessingRule => {
    if (!isRecord(rule) || typeof rule.id !== 'string' || !rule.id)
      throw invalidParam('Process rule pre_processing_rules id is required');
    if (typeof rule.enabled !== 'boolean') throw invalidParam('Process rule pre_processing_rules enabled is invalid');
    return { id: rule.id, enabled: rule.enabled };
  });
  const seg = rules.segmentation;
  if (!isRecord(seg)) throw invalidParam('Process rule segmentation is required');
  if (typeof seg.separator !== 'string' || !seg.separator)
    throw invalidParam('Process rule segmentation separator is required');
  if (typeof seg.max_tokens !== 'number' || !Number.isInteger(seg.max_tokens))
    throw invalidParam('Process rule segmentation max_tokens is required');
  if (seg.max_tokens < 50 || seg.max_tokens > MAX_SEGMENTATION_TOKENS)
    throw invalidParam(`Custom segment length should be between 50 and ${MAX_SEGMENTATION_TOKENS}.`);
  const overlap = seg.chunk_overlap ?? 0;
  if (typeof overlap !== 'number' || !Number.isInteger(overlap) || overlap < 0)
    throw invalidParam('Process rule segmentation chunk_overlap is invalid');
  if (overlap > seg.max_tokens) throw invalidParam('Overlap should not be greater than the chunk size.');
  return {
    mode: 'custom',
    rules: {
      pre_processing_rules: pre,
      segmentation: {
        separator: seg.separator.replaceAll('\\n', '\n'),
        max_tokens: seg.max_tokens,
        chunk_overlap: overlap,
      },
    },
  };
}
