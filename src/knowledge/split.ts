/**
 * Dify's text splitters (core/rag/splitter): `automatic` mode is the recursive splitter with the
 * automatic rule (500 tokens, 50 overlap); `custom` mode first cuts on the rule's fixed separator
 * and recursively splits only the pieces that are still too long. Lengths are in tokens.
 */
export interface SegmentationRule {
  separator: string;
  max_tokens: number;
  chunk_overlap: number;
}

export const RECURSIVE_SEPARATORS = ['\n\n', '。', '. ', ' ', ''] as const;

type Length = (text: string) => number;

function mergeSplits(splits: string[], separator: string, rule: SegmentationRule, length: Length): string[] {
  const sepLength = length(separator);
  const docs: string[] = [];
  const current: string[] = [];
  let total = 0;
  for (const piece of splits) {
    const pieceLength = length(piece);
    if (total + pieceLength + (current.length ? sepLength : 0) > rule.max_tokens && current.length) {
      const doc = current.join(separator).trim();
      if (doc) docs.push(doc);
      // Keep a tail of at most chunk_overlap tokens as the next chunk's start.
      while (
        current.length &&
        (total > rule.chunk_overlap || total + pieceLength + (current.length ? sepLength : 0) > rule.max_tokens)
      ) {
        total -= length(current[0]!) + (current.length > 1 ? sepLength : 0);
        current.shift();
      }
    }
    current.push(piece);
    total += pieceLength + (current.length > 1 ? sepLength : 0);
  }
  const doc = current.join(separator).trim();
  if (doc) docs.push(doc);
  return docs;
}

function recursiveSplit(text: string, separators: readonly string[], rule: SegmentationRule, length: Length): string[] {
  let separator = separators[separators.length - 1] ?? '';
  let rest: readonly string[] = [];
  for (const [i, candidate] of separators.entries()) {
    if (candidate === '' || text.includes(candidate)) {
      separator = candidate;
      rest = separators.slice(i + 1);
      break;
    }
  }
  const splits = (separator ? text.split(separator) : [...text]).filter((s) => s !== '');
  const chunks: string[] = [];
  let good: string[] = [];
  for (const piece of splits) {
    if (length(piece) < rule.max_tokens) {
      good.push(piece);
      continue;
    }
    if (good.length) chunks.push(...mergeSplits(good, separator, rule, length));
    good = [];
    chunks.push(...(rest.length ? recursiveSplit(piece, rest, rule, length) : [piece]));
  }
  if (good.length) chunks.push(...mergeSplits(good, separator, rule, length));
  return chunks;
}

/** Leading punctuation Dify strips from each chunk (remove_leading_symbols). */
const LEADING_SYMBOLS = /^[\u2000-\u206F\u2E00-\u2E7F\u3000-\u303F!"#$%&'()*+,\-./:;<=>?@[\]^_`{|}~]+/;

export function splitText(
  text: string,
  options: { mode: 'automatic' | 'custom'; rule: SegmentationRule; length: Length },
): string[] {
  const { rule } = options;
  // The merge measures the same pieces again and again: each is tokenized once.
  const known = new Map<string, number>();
  const length: Length = (s) => {
    const cached = known.get(s);
    if (cached !== undefined) return cached;
    const n = options.length(s);
    known.set(s, n);
    return n;
  };
  let chunks: string[];
  if (options.mode === 'custom' && rule.separator) {
    chunks = text
      .split(rule.separator)
      .flatMap((piece) =>
        length(piece) > rule.max_tokens ? recursiveSplit(piece, RECURSIVE_SEPARATORS, rule, length) : [piece],
      );
  } else {
    chunks = recursiveSplit(text, RECURSIVE_SEPARATORS, rule, length);
  }
  return chunks.map((c) => c.replace(LEADING_SYMBOLS, '').trim()).filter((c) => c.length > 0);
}
