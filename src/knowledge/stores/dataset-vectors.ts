import { exactSearch, MetricKind } from 'usearch';
import type { VectorHit } from '../vector-store.js';

/** A searchable segment as read from PostgreSQL. */
export interface VectorRow {
  id: string;
  documentId: string;
  vector: Float32Array;
}

interface Slot {
  /** Row of the int8 matrix holding this segment's codes. */
  row: number;
  documentId: string;
  /** Unit length: cosine is the dot product. */
  vector: Float32Array;
}

/**
 * Candidates the int8 scan hands to the exact re-rank: `RERANK_FACTOR × topK`, at least
 * MIN_CANDIDATES. On seeded random 384-dimension unit vectors (the bench's data, the worst case for an
 * approximate search) 2 × topK already gave recall@10 1.000 at 100 000 vectors; 4 × leaves a margin
 * for data with many near-ties, and re-ranking 40 vectors costs microseconds.
 */
export const RERANK_FACTOR = 4;
const MIN_CANDIDATES = 40;
/** Rows taken in between two yields to the event loop while a dataset is loaded (a few ms of work). */
export const LOAD_CHUNK = 2000;

/** Lets the event loop run (other requests, timers) between two chunks of a long load. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

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
 * int8 codes of a vector, scaled by its own largest component: cosine ignores each vector's scale,
 * so every vector uses the full -127..127 range (a unit 384-d vector's components are ~0.05).
 */
function quantize(v: Float32Array, into: Int8Array, at: number): void {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
  const s = max ? 127 / max : 0;
  for (let i = 0; i < v.length; i++) into[at + i] = Math.round(v[i]! * s);
}

/**
 * One dataset's vectors in an api process, kept current change by change. A search scans an int8 copy
 * of every vector with usearch's native SIMD kernel (`exactSearch`, cosine, one thread: about 2.4 ms
 * at 100 000 × 384 on the bench machine, a quarter of the float32 bytes to stream), then re-ranks the
 * best RERANK_FACTOR × topK exactly with the float32 vectors. There is no graph: nothing to build on a
 * cold load, nothing to rebuild after removals, and an update costs one row. (An HNSW index was tried
 * first: on random 384-d vectors at 100 000 it needed degree 32 and a search list of 2 048 for recall
 * 0.94, ~12 ms a search and a 40 s build per process — see bench/knowledge.md.)
 * The int8 matrix is dense: a removed segment's row is filled with the last row. Vectors of another
 * length than the dataset's first are left out.
 */
export class DatasetVectors {
  private readonly slots = new Map<string, Slot>();
  private readonly byDocument = new Map<string, Set<string>>();
  /** Segment id of each matrix row. */
  private readonly rowIds: string[] = [];
  private codes = new Int8Array(0);
  private dimensions = 0;

  constructor(public version: string) {}

  /**
   * A dataset from its rows, LOAD_CHUNK at a time with the event loop free in between: at 100 000
   * vectors the unit vectors and int8 rows take a second or more of CPU, which must not stall the
   * process's other requests.
   */
  static async load(version: string, rows: VectorRow[]): Promise<DatasetVectors> {
    const entry = new DatasetVectors(version);
    if (rows.length) entry.reserve(rows.length, rows[0]!.vector.length);
    for (let from = 0; from < rows.length; from += LOAD_CHUNK) {
      if (from) await yieldToLoop();
      for (let i = from; i < Math.min(rows.length, from + LOAD_CHUNK); i++) entry.upsert(rows[i]!);
    }
    return entry;
  }

  get size(): number {
    return this.slots.size;
  }

  /** Room for `rows` vectors of `dimensions` (a full load knows its size: one allocation). */
  reserve(rows: number, dimensions: number): void {
    if (!this.dimensions) this.dimensions = dimensions;
    this.grow(rows);
  }

  private grow(rows: number): void {
    const needed = rows * this.dimensions;
    if (needed <= this.codes.length) return;
    const codes = new Int8Array(Math.max(needed, this.codes.length * 2));
    codes.set(this.codes);
    this.codes = codes;
  }

  upsert(row: VectorRow): void {
    this.remove(row.id);
    if (!this.dimensions) this.dimensions = row.vector.length;
    const vector = row.vector.length === this.dimensions ? unit(row.vector) : undefined;
    if (!vector) return;
    const at = this.rowIds.length;
    this.grow(at + 1);
    quantize(vector, this.codes, at * this.dimensions);
    this.rowIds.push(row.id);
    this.slots.set(row.id, { row: at, documentId: row.documentId, vector });
    let ids = this.byDocument.get(row.documentId);
    if (!ids) this.byDocument.set(row.documentId, (ids = new Set()));
    ids.add(row.id);
  }

  remove(segmentId: string): void {
    const slot = this.slots.get(segmentId);
    if (!slot) return;
    this.slots.delete(segmentId);
    this.byDocument.get(slot.documentId)?.delete(segmentId);
    const last = this.rowIds.length - 1;
    const movedId = this.rowIds.pop()!;
    const d = this.dimensions;
    if (slot.row !== last) {
      this.codes.copyWithin(slot.row * d, last * d, (last + 1) * d);
      this.rowIds[slot.row] = movedId;
      this.slots.get(movedId)!.row = slot.row;
    }
    // A dataset that shrank to a quarter of its rows gives the memory back (half of the room kept).
    if (this.codes.length > 4 * d * Math.max(last, 1024)) this.codes = this.codes.slice(0, 2 * d * last);
  }

  removeDocument(documentId: string): void {
    for (const id of [...(this.byDocument.get(documentId) ?? [])]) this.remove(id);
    this.byDocument.delete(documentId);
  }

  search(query: number[], topK: number): VectorHit[] {
    if (query.length !== this.dimensions || topK <= 0 || !this.slots.size) return [];
    const q = unit(Float32Array.from(query));
    if (!q) return [];
    const n = this.rowIds.length;
    const wanted = Math.max(topK * RERANK_FACTOR, MIN_CANDIDATES);
    if (n <= wanted) return this.exact(q, topK);
    const code = new Int8Array(this.dimensions);
    quantize(q, code, 0);
    const found = exactSearch(
      this.codes.subarray(0, n * this.dimensions),
      code,
      this.dimensions,
      wanted,
      MetricKind.Cos,
      1,
    );
    const hits: VectorHit[] = [];
    for (const key of found.keys) {
      const id = this.rowIds[Number(key)];
      const v = id === undefined ? undefined : this.slots.get(id)?.vector;
      if (!v) continue;
      let dot = 0;
      for (let j = 0; j < v.length; j++) dot += v[j]! * q[j]!;
      hits.push({ segmentId: id!, score: dot });
    }
    return hits.sort((a, b) => b.score - a.score).slice(0, topK);
  }

  /** The exact scan in JavaScript: dot product with every float32 vector, the best topK kept in order. */
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
