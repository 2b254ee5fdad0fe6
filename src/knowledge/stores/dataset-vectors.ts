import { Index, MetricKind, ScalarKind } from 'usearch';
import type { VectorHit } from '../vector-store.js';

/** A searchable segment as read from PostgreSQL. */
export interface VectorRow {
  id: string;
  documentId: string;
  vector: Float32Array;
}

interface Slot {
  key: number;
  documentId: string;
  /** Unit length: cosine is the dot product. */
  vector: Float32Array;
}

/**
 * HNSW parameters (usearch): graph degree, and the candidate lists while adding and searching. On
 * seeded random 384-dimension unit vectors (the bench's worst case: no structure at all) a search list
 * of 512 gave recall@10 0.95 at 8 000 vectors and 0.80 at 20 000 (128: 0.65 at 8 000); a larger
 * degree helps recall but multiplies the build time, which is paid on every cold load.
 */
export interface HnswParameters {
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
}
export const HNSW: HnswParameters = { connectivity: 16, expansionAdd: 64, expansionSearch: 512 };

function unit(v: Float32Array): Float32Array | undefined {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  if (!n) return undefined;
  const s = 1 / Math.sqrt(n);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * s;
  return out;
}

/**
 * One dataset's vectors in an api process: a map of segments kept current change by change, searched
 * exactly while small and through a usearch HNSW index (cosine, f32) from `indexThreshold` vectors on.
 * Segments get process-local numeric keys (usearch's keys are integers); an update is a remove and
 * an add under a new key. Vectors of another length than the dataset's first are left out.
 */
export class DatasetVectors {
  private readonly slots = new Map<string, Slot>();
  private readonly byDocument = new Map<string, Set<string>>();
  private readonly idOfKey = new Map<number, string>();
  private nextKey = 1;
  private dimensions = 0;
  private index: Index | undefined;
  private removedSinceBuild = 0;
  /** How long the last index build took (ms; bench). */
  buildMs = 0;

  constructor(
    public version: string,
    private readonly indexThreshold: number,
    private readonly hnsw: HnswParameters = HNSW,
  ) {}

  get size(): number {
    return this.slots.size;
  }

  /** Whether searches go through the approximate index. */
  get indexed(): boolean {
    return this.index !== undefined;
  }

  upsert(row: VectorRow): void {
    this.remove(row.id);
    if (!this.dimensions) this.dimensions = row.vector.length;
    const vector = row.vector.length === this.dimensions ? unit(row.vector) : undefined;
    if (!vector) return;
    const key = this.nextKey++;
    this.slots.set(row.id, { key, documentId: row.documentId, vector });
    this.idOfKey.set(key, row.id);
    let ids = this.byDocument.get(row.documentId);
    if (!ids) this.byDocument.set(row.documentId, (ids = new Set()));
    ids.add(row.id);
    this.index?.add(BigInt(key), vector);
  }

  remove(segmentId: string): void {
    const slot = this.slots.get(segmentId);
    if (!slot) return;
    this.slots.delete(segmentId);
    this.idOfKey.delete(slot.key);
    this.byDocument.get(slot.documentId)?.delete(segmentId);
    if (this.index) {
      this.index.remove(BigInt(slot.key));
      this.removedSinceBuild++;
    }
  }

  removeDocument(documentId: string): void {
    for (const id of [...(this.byDocument.get(documentId) ?? [])]) this.remove(id);
    this.byDocument.delete(documentId);
  }

  /**
   * After a batch of changes: builds the index once the dataset is large enough, rebuilds it when a
   * quarter of it was removed since (usearch marks removed nodes; many of them weaken the graph), and
   * drops it when the dataset shrank well below the threshold.
   */
  settle(): void {
    if (this.slots.size < this.indexThreshold / 2) this.index = undefined;
    else if (!this.index && this.slots.size >= this.indexThreshold) this.build();
    else if (this.index && this.removedSinceBuild > this.slots.size / 4) this.build();
  }

  private build(): void {
    const started = performance.now();
    const n = this.slots.size;
    const index = new Index({
      dimensions: this.dimensions,
      metric: MetricKind.Cos,
      quantization: ScalarKind.F32,
      connectivity: this.hnsw.connectivity,
      expansion_add: this.hnsw.expansionAdd,
      expansion_search: this.hnsw.expansionSearch,
      multi: false,
    });
    const keys = new BigUint64Array(n);
    const flat = new Float32Array(n * this.dimensions);
    let i = 0;
    for (const slot of this.slots.values()) {
      keys[i] = BigInt(slot.key);
      flat.set(slot.vector, i * this.dimensions);
      i++;
    }
    if (n) index.add(keys, flat, 0);
    this.index = index;
    this.removedSinceBuild = 0;
    this.buildMs = performance.now() - started;
  }

  search(query: number[], topK: number): VectorHit[] {
    if (query.length !== this.dimensions || topK <= 0 || !this.slots.size) return [];
    const q = unit(Float32Array.from(query));
    if (!q) return [];
    return this.index ? this.approximate(q, topK) : this.exact(q, topK);
  }

  private approximate(q: Float32Array, topK: number): VectorHit[] {
    const found = this.index!.search(q, Math.min(topK, this.slots.size), 0);
    const hits: VectorHit[] = [];
    for (let i = 0; i < found.keys.length; i++) {
      const id = this.idOfKey.get(Number(found.keys[i]));
      if (id !== undefined) hits.push({ segmentId: id, score: 1 - found.distances[i]! });
    }
    return hits;
  }

  /** The exact scan: dot product with every vector, the best topK kept in order as it goes. */
  exact(q: Float32Array, topK: number): VectorHit[] {
    const best: VectorHit[] = [];
    for (const [id, slot] of this.slots) {
      const v = slot.vector;
      let dot = 0;
      for (let j = 0; j < v.length; j++) dot += v[j]! * q[j]!;
      if (best.length === topK && dot <= best[topK - 1]!.score) continue;
      let at = best.length;
      while (at > 0 && best[at - 1]!.score < dot) at--;
      best.splice(at, 0, { segmentId: id, score: dot });
      if (best.length > topK) best.pop();
    }
    return best;
  }
}
