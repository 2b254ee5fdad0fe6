import { describe, expect, it } from 'vitest';
import {
  AUTOMATIC_RULES,
  cleanText,
  cosine,
  extractText,
  resolveProcessRule,
  resolveRetrievalModel,
  searchMethodOf,
  splitText,
} from '../../src/knowledge/index.js';
import type { KnowledgeError } from '../../src/knowledge/errors.js';

/** One token per word: keeps the splitter's arithmetic readable. */
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

describe('knowledge text pipeline', () => {
  it('parses html without markup, csv rows as `column: value`, json pretty, and refuses unknown types with 415', () => {
    expect(
      extractText(
        'a.html',
        '<html><head><title>x</title></head><body><p>Hello &amp; <b>bye</b></p><script>evil()</script><p>Two&#33;</p></body></html>',
      ),
    ).toBe('Hello & bye\n\nTwo!');
    expect(extractText('a.csv', 'name,city\n"Smith, Ann",Paris\nBo,"New\nYork"\n')).toBe(
      'name: Smith, Ann; city: Paris\nname: Bo; city: New\nYork',
    );
    expect(extractText('a.json', '{"a":[1,2]}')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(extractText('notes.md', '# Title\n\ntext')).toBe('# Title\n\ntext');
    const err = (() => {
      try {
        extractText('scan.pdf', '');
      } catch (e) {
        return e;
      }
    })() as KnowledgeError;
    expect(err).toMatchObject({ code: 'unsupported_file_type', status: 415 });
    expect(() => extractText('bad.json', '{')).toThrow(/bad\.json: not valid JSON/);
  });

  it('cleans control characters always, extra spaces and URLs/emails by rule', () => {
    expect(cleanText('a\u0000b\n\n\n\nc   d', [{ id: 'remove_extra_spaces', enabled: true }])).toBe('ab\n\nc d');
    expect(cleanText('mail me@x.org or see https://x.org/a now', [{ id: 'remove_urls_emails', enabled: true }])).toBe(
      'mail  or see  now',
    );
    expect(cleanText('a   b', [{ id: 'remove_extra_spaces', enabled: false }])).toBe('a   b');
  });

  it('splits on a custom separator, recursing only into pieces over max_tokens', () => {
    const rule = { separator: '\n\n', max_tokens: 5, chunk_overlap: 0 };
    expect(splitText('one two\n\nthree four five six seven eight', { mode: 'custom', rule, length: words })).toEqual([
      'one two',
      'three four five six seven',
      'eight',
    ]);
  });

  it('automatic mode merges small pieces up to max_tokens with overlap', () => {
    const text = Array.from({ length: 12 }, (_, i) => `w${i}`).join(' ');
    const chunks = splitText(text, {
      mode: 'automatic',
      rule: { separator: '\n', max_tokens: 5, chunk_overlap: 2 },
      length: words,
    });
    expect(chunks[0]).toBe('w0 w1 w2 w3 w4');
    expect(chunks[1]!.startsWith('w3 w4')).toBe(true);
    expect(chunks.every((c) => words(c) <= 5)).toBe(true);
    expect(chunks.at(-1)!.endsWith('w11')).toBe(true);
  });

  it("checks process rules with Dify's messages and turns \\n into a newline", () => {
    expect(resolveProcessRule(undefined)).toEqual({ mode: 'automatic', rules: AUTOMATIC_RULES });
    expect(
      resolveProcessRule({
        mode: 'custom',
        rules: { pre_processing_rules: [], segmentation: { separator: '\\n', max_tokens: 100 } },
      }).rules.segmentation,
    ).toEqual({ separator: '\n', max_tokens: 100, chunk_overlap: 0 });
    expect(() => resolveProcessRule({ mode: 'nope' })).toThrow('Process rule mode is invalid');
    expect(() =>
      resolveProcessRule({
        mode: 'custom',
        rules: { pre_processing_rules: [], segmentation: { separator: 'x', max_tokens: 10 } },
      }),
    ).toThrow('Custom segment length should be between 50 and 4000.');
    expect(() => resolveProcessRule({ mode: 'custom', rules: { pre_processing_rules: [] } })).toThrow(
      'Process rule segmentation is required',
    );
  });

  it('resolves retrieval models and search methods, long and short names', () => {
    expect(searchMethodOf('hybrid')).toBe('hybrid_search');
    expect(searchMethodOf('full_text_search')).toBe('full_text_search');
    expect(() => searchMethodOf('magic')).toThrow(/search_method/);
    expect(resolveRetrievalModel({ score_threshold: 0.5 }, { retrieval_model: null })).toMatchObject({
      search_method: 'semantic_search',
      top_k: 4,
      score_threshold_enabled: true,
      vector_weight: 0.7,
    });
    expect(
      resolveRetrievalModel({ weights: { vector_setting: { vector_weight: 0.2 } } }, { retrieval_model: { top_k: 9 } }),
    ).toMatchObject({ top_k: 9, vector_weight: 0.2 });
    expect(cosine([1, 0], [1, 0])).toBe(1);
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([1], [1, 2])).toBe(0);
  });
});
