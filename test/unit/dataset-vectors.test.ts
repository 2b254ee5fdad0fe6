import { describe, expect, it } from 'vitest';
import { DatasetVectors } from '../../src/knowledge/stores/dataset-vectors.js';

const row = (id: string, documentId: string, vector: number[]) => ({
  id,
  documentId,
  vector: Float32Array.from(vector),
});

describe('DatasetVectors (one dataset in an api process)', () => {
  it('scans exactly below the threshold: cosine scores, best first, topK', () => {
    const d = new DatasetVectors('0', 100);
    d.upsert(row('a', 'doc1', [1, 0, 0]));
    d.upsert(row('b', 'doc1', [1, 1, 0]));
    d.upsert(row('c', 'doc2', [0, 0, 2]));
    d.settle();
    expect(d.indexed).toBe(false);
    const hits = d.search([2, 0, 0], 2);
    expect(hits.map((h) => h.segmentId)).toEqual(['a', 'b']);
    expect(hits[0]!.score).toBeCloseTo(1, 6);
    expect(hits[1]!.score).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('replaces a segment on upsert, removes segments and whole documents, skips other lengths and zero vectors', () => {
    const d = new DatasetVectors('0', 100);
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

  it('builds the usearch index at the threshold, keeps it current, drops it when the dataset shrinks', async () => {
    const d = new DatasetVectors('0', 20);
    for (let i = 0; i < 20; i++) d.upsert(row(`s${i}`, `doc${i % 2}`, [Math.cos(i / 4), Math.sin(i / 4), 0.1]));
    d.settle();
    expect(d.indexed).toBe(false); // built between searches: the exact scan answers meanwhile
    expect(d.search([Math.cos(3 / 4), Math.sin(3 / 4), 0.1], 1)[0]!.segmentId).toBe('s3');
    await d.whenIndexed();
    expect(d.indexed).toBe(true);
    expect(d.search([Math.cos(3 / 4), Math.sin(3 / 4), 0.1], 1)[0]!.segmentId).toBe('s3');
    d.upsert(row('new', 'doc2', [0, 0, 1]));
    expect(d.search([0, 0, 1], 1)[0]!.segmentId).toBe('new');
    d.removeDocument('doc0');
    d.settle();
    await d.whenIndexed();
    expect(d.search([Math.cos(4 / 4), Math.sin(4 / 4), 0.1], 21).map((h) => h.segmentId)).not.toContain('s4');
    d.removeDocument('doc1');
    d.settle();
    expect(d.indexed).toBe(false);
    expect(d.search([0, 0, 1], 5).map((h) => h.segmentId)).toEqual(['new']);
  });

  it('a segment removed or added while the index is being built is left out of it or found in it', async () => {
    const d = new DatasetVectors('0', 600);
    for (let i = 0; i < 600; i++) d.upsert(row(`s${i}`, 'doc', [Math.cos(i / 100), Math.sin(i / 100), 1]));
    d.settle();
    d.remove('s599');
    // Inside the cluster (an antipodal outlier can be unreachable in any HNSW graph: approximate search).
    d.upsert(row('late', 'other', [Math.cos(6.1), Math.sin(6.1), 1]));
    await d.whenIndexed();
    expect(d.indexed).toBe(true);
    expect(d.search([Math.cos(6.1), Math.sin(6.1), 1], 1)[0]!.segmentId).toBe('late');
    expect(d.search([Math.cos(5.99), Math.sin(5.99), 1], 3).map((h) => h.segmentId)).not.toContain('s599');
  });
});
