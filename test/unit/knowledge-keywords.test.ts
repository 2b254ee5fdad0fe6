import { describe, expect, it } from 'vitest';
import { extractKeywords, MAX_KEYWORDS_PER_CHUNK, termsOf } from '../../src/knowledge/keywords.js';

describe("segment keywords (Dify's keyword table, without jieba's dictionary)", () => {
  it('ranks terms by frequency, reading order on a tie, lower-cased, at most ten', () => {
    expect(extractKeywords('Tea is brewed. The TEA kettle boils water; tea leaves steep in water.')).toEqual([
      'tea',
      'water',
      'brewed',
      'kettle',
      'boils',
      'leaves',
      'steep',
    ]);
    const many = Array.from({ length: 15 }, (_, i) => `word${String.fromCharCode(97 + i)}`).join(' ');
    expect(extractKeywords(many)).toHaveLength(MAX_KEYWORDS_PER_CHUNK);
    expect(extractKeywords(many, 3)).toEqual(['worda', 'wordb', 'wordc']);
  });

  it('leaves out stopwords, bare numbers and one-letter words; CJK runs give overlapping pairs', () => {
    expect(termsOf('It is a 2024 report on x and the API v2')).toEqual(['report', 'api', 'v2']);
    expect(termsOf('知识库检索')).toEqual(['知识', '识库', '库检', '检索']);
    expect(termsOf('猫 sleeps')).toEqual(['sleeps']);
    expect(extractKeywords('the of and')).toEqual([]);
  });
});
