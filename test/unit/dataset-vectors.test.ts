import { describe, expect, it } from 'vitest';
import { DatasetVectors, LOAD_CHUNK } from '../../src/knowledge/stores/dataset-vectors.js';

const row = (id: string, documentId: string, vector: number[]) => ({
  id,
  documentId,
  vector: Float32Array.from(vector),
});

describe('DatasetVectors (one dataset in an api process)', () => {
  it('scans exactly while small: cosine scores, best first, topK', () => {
    const d = new DatasetVectors('0');
    d.upsert(row('a', 'doc1', [1, 0, 0]));
    d.upsert(row('b', 'doc1', [1, 1, 0]));
    d.upsert(row('c', 'doc2', [0, 0, 2]));
    const hits = d.search([2, 0, 0], 2);
    expect(hits.map((h) => h.segmentId)).toEqual(['a', 'b']);
    expect(hits[0]!.score).toBeCloseTo(1, 6);
    expect(hits[1]!.score).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('replaces a segment on upsert, removes segments and whole documents, skips other lengths and zero vectors', () => {
    const d = new DatasetVectors('0');
    d.upsert(row('a', 'doc1', [1, 0]));
    d.upsert(row('a', 'doc1', [0, 1]));
    d.upsert(row('b', 'doc2', [1, 0]));
    d.upsert(row('c', 'doc2', [1, 1, 1]));
    d.upsert(row('z', 'doc2', [0, 0]));
    expect(d.size).toBe(2);
    expect(d.search([0, 1], 1)[0]!.segmentId).toBe('a');
    d.removeDocument('doc2');
    expect(d.search([1, 0], 5).map((h) => h.segmentId)).toEqual(['a']);
    d.remove('a');
    expect(d.search([1, 0], 5)).toEqual([]);
    expect(d.search([1, 0, 0], 5)).toEqual([]);
  });

  it('above the candidate count: the int8 scan + float32 re-rank finds what the exact scan finds, exact scores', () => {
    const rand = seeded(7);
    const d = new DatasetVectors('0');
    for (let i = 0; i < 3000; i++) d.upsert(row(`s${i}`, `doc${i % 7}`, randomVector(rand, 64)));
    let same = 0;
    for (let q = 0; q < 50; q++) {
      const query = randomVector(rand, 64);
      const unitQuery = Float32Array.from(query, (x) => x / Math.hypot(...query));
      const hits = d.search(query, 10);
      const truth = d.exact(unitQuery, 10);
      expect(hits).toHaveLength(10);
      const ids = new Set(truth.map((h) => h.segmentId));
      same += hits.filter((h) => ids.has(h.segmentId)).length;
      const byId = new Map(truth.map((h) => [h.segmentId, h.score]));
      for (const h of hits) if (byId.has(h.segmentId)) expect(h.score).toBeCloseTo(byId.get(h.segmentId)!, 5);
      expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));
    }
    expect(same / 500).toBeGreaterThanOrEqual(0.99);
  });

  it('removals keep the int8 rows dense: the row moved into a hole is still found, removed ones never', () => {
    const rand = seeded(11);
    const d = new DatasetVectors('0');
    const vectors = Array.from({ length: 500 }, () => randomVector(rand, 32));
    for (const [i, v] of vectors.entries()) d.upsert(row(`s${i}`, `doc${i % 5}`, v));
    d.remove('s10'); // the last row (s499) moves into row 10
    d.removeDocument('doc3'); // every fifth, from the middle and the end
    d.upsert(row('s20', 'doc0', vectors[400]!)); // re-upserted under a new vector: a remove and an add
    expect(d.size).toBe(500 - 1 - 100);
    for (const i of [499, 0, 1, 250, 497]) expect(d.search(vectors[i]!, 1)[0]!.segmentId).toBe(`s${i}`);
    for (const i of [10, 3, 8, 498]) {
      const ids = d.search(vectors[i]!, 50).map((h) => h.segmentId);
      expect(ids).not.toContain(`s${i}`);
    }
    expect(
      d
        .search(vectors[400]!, 2)
        .map((h) => h.segmentId)
        .sort(),
    ).toEqual(['s20', 's400']);
  });

  it('a dataset that shrinks to a few rows gives its int8 room back and still finds every vector left', () => {
    const rand = seeded(13);
    const d = new DatasetVectors('0');
    const vectors = Array.from({ length: 6000 }, () => randomVector(rand, 16));
    for (const [i, v] of vectors.entries()) d.upsert(row(`s${i}`, i % 50 ? 'gone' : 'kept', v));
    d.removeDocument('gone');
    expect(d.size).toBe(120);
    for (let i = 0; i < 6000; i += 50) expect(d.search(vectors[i]!, 1)[0]!.segmentId).toBe(`s${i}`);
    d.upsert(row('new', 'kept', vectors[1]!));
    expect(d.search(vectors[1]!, 1)[0]!.segmentId).toBe('new');
  });

  it('a full load goes LOAD_CHUNK rows at a time, the event loop free in between (other requests run)', async () => {
    const rows = Array.from({ length: LOAD_CHUNK * 3 }, (_, i) =>
      row(`s${i}`, 'doc', [Math.cos(i / 1000), Math.sin(i / 1000), 1]),
    );
    let turns = 0;
    let loading = true;
    const turn = () => {
      if (!loading) return;
      turns++;
      setImmediate(turn);
    };
    setImmediate(turn);
    const d = await DatasetVectors.load('7', rows);
    loading = false;
    expect(turns).toBeGreaterThanOrEqual(2);
    expect(d.size).toBe(LOAD_CHUNK * 3);
    expect(d.version).toBe('7');
    expect(d.search([Math.cos(4.321), Math.sin(4.321), 1], 1)[0]!.segmentId).toBe('s4321');
  });
});

/** Seeded PRNG (mulberry32). */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function randomVector(rand: () => number, dims: number): number[] {
  return Array.from({ length: dims }, () => rand() * 2 - 1);
}
