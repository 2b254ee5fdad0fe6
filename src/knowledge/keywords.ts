/**
 * Keywords of a text, as Dify's keyword index (JiebaKeywordTableHandler) keeps them per segment:
 * the text's top terms by TF-IDF (at most 10 per chunk), stopwords, numbers and one-character words
 * left out. Jieba's dictionary is not here: words are runs of letters and digits (lower-cased), a
 * run of CJK ideographs gives its overlapping pairs, and every term has the same IDF — so the
 * ranking is by frequency, earlier terms first on a tie, as jieba ranks words its dictionary does
 * not know. (Dify then adds each keyword's `\w+` parts: a term here is already one such run.)
 */
export const MAX_KEYWORDS_PER_CHUNK = 10;

// jieba's own English stopwords plus the common function words of Dify's list.
const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her his how i if in into ' +
    'is it its me my no not of on one or our she so than that the their them then there these they this those ' +
    'to us was we were what when where which who why will with would you your all any also about after before ' +
    'more most other some such only own same too very just over under again further once here both each few'
  ).split(' '),
);

const CJK = /\p{Script=Han}/u;

/** The text's terms in order: words of two characters or more, and CJK ideograph pairs. */
export function termsOf(text: string): string[] {
  const terms: string[] = [];
  for (const run of text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []) {
    if (CJK.test(run)) {
      const chars = [...run];
      if (chars.length === 1) continue;
      for (let i = 0; i + 1 < chars.length; i++) terms.push(chars[i]! + chars[i + 1]!);
    } else if ([...run].length >= 2 && !STOPWORDS.has(run) && !/^\d+$/.test(run)) terms.push(run);
  }
  return terms;
}

/** A text's keywords, best first (at most `max`). */
export function extractKeywords(text: string, max = MAX_KEYWORDS_PER_CHUNK): string[] {
  const counts = new Map<string, number>();
  for (const term of termsOf(text)) counts.set(term, (counts.get(term) ?? 0) + 1);
  // Map keeps first-seen order and sort is stable: ties stay in reading order.
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([term]) => term);
}
