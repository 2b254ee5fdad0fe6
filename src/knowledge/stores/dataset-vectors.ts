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
/** Vectors added to a building index at a time: the longest the build holds the event loop. */
const BUILD_CHUNK = 256;

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
  /** An index being built (chunk by chunk, between searches); it replaces `index` when complete. */
  private building: { index: Index; done: Promise<void> } | undefined;
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
    this.building?.index.add(BigInt(key), vector);
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
    // A key not added to it yet is skipped by the build itself; removing it is then a no-op.
    this.building?.index.remove(BigInt(slot.key));
  }

  removeDocument(documentId: string): void {
    for (const id of [...(this.byDocument.get(documentId) ?? [])]) this.remove(id);
    this.byDocument.delete(documentId);
  }

  /**
   * After a batch of changes: builds the index once the dataset is large enough, rebuilds it when a
   * quarter of it was removed since (usearch marks removed nodes; many of them weaken the graph), and
   * drops it when the dataset shrank well below the threshold. The build runs in chunks between
   * searches (BUILD_CHUNK vectors at a time): meanwhile searches use what there was (the exact scan on
   * a cold load), and the process keeps answering.
   */
  settle(): void {
    if (this.slots.size < this.indexThreshold / 2) {
      this.index = undefined;
      this.building = undefined;
    } else if (this.building) return;
    else if (!this.index && this.slots.size >= this.indexThreshold) this.startBuild();
    else if (this.index && this.removedSinceBuild > this.slots.size / 4) this.startBuild();
  }

  /** Resolves when no build is under way (tests, bench). */
  async whenIndexed(): Promise<void> {
    while (this.building) await this.building.done;
  }

  private startBuild(): void {
    const index = new Index({
      dimensions: this.dimensions,
      metric: MetricKind.Cos,
      quantization: ScalarKind.F32,
      connectivity: this.hnsw.connectivity,
      expansion_add: this.hnsw.expansionAdd,
      expansion_search: this.hnsw.expansionSearch,
      multi: false,
    });
    const building = { index, done: Promise.resolve() };
    building.done = this.build(building, [...this.slots.values()]);
    this.building = building;
  }

  private async build(building: { index: Index }, slots: Slot[]): Promise<void> {
    const started = performance.now();
    const removedBefore = this.removedSinceBuild;
    for (let from = 0; from < slots.length; from += BUILD_CHUNK) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.building !== building) return; // dropped, or the dataset was reloaded
      // Segments removed since the build began are left out; those added since went in directly.
      const chunk = slots.slice(from, from + BUILD_CHUNK).filter((slot) => this.idOfKey.has(slot.key));
      if (!chunk.length) continue;
      const keys = BigUint64Array.from(chunk, (slot) => BigInt(slot.key));
      const flat = new Float32Array(chunk.length * this.dimensions);
      for (const [i, slot] of chunk.entries()) flat.set(slot.vector, i * this.dimensions);
      building.index.add(keys, flat, 0);
    }
    if (this.building !== building) return;
    this.index = building.index;
    this.building = undefined;
    this.removedSinceBuild -= removedBefore;
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
