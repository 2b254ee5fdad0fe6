import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ServerError, Status } from 'nice-grpc';

/**
 * The gRPC half of the Weaviate stand-in: the `weaviate.v1.Weaviate` methods weaviate-client 3.12
 * calls for the store (BatchObjects, Search, BatchDelete), answered from in-memory collections in the
 * shapes of Weaviate's protos. The messages are encoded and decoded by the client's own
 * proto-generated code (dist/node/esm/proto/v1), so the bytes on the wire are the client's.
 */

/** The fields of the protos (weaviate/v1/*.proto) this stand-in reads. */
export interface VectorsMsg {
  name: string;
  vectorBytes: Uint8Array;
  /** 0 unspecified, 1 single fp32, 2 multi fp32. */
  type: number;
}
export interface FilterMsg {
  operator: number;
  on: string[];
  filters: FilterMsg[];
  valueText?: string;
  valueTextArray?: { values: string[] };
  target?: { property?: string };
}
export interface BatchObjectMsg {
  uuid: string;
  collection: string;
  tenant: string;
  vector: number[];
  vectorBytes: Uint8Array;
  vectors: VectorsMsg[];
  properties?: { nonRefProperties?: Record<string, unknown> };
}
export interface SearchRequestMsg {
  collection: string;
  limit: number;
  offset: number;
  /** The cursor API: an object id, the results those after it in id order ('' when not set). */
  after: string;
  sortBy: unknown[];
  filters?: FilterMsg;
  metadata?: { uuid: boolean; distance: boolean; certainty: boolean };
  properties?: { nonRefProperties: string[]; returnAllNonrefProperties: boolean };
  nearVector?: {
    vector: number[];
    vectorBytes: Uint8Array;
    vectors: VectorsMsg[];
    targetVectors: string[];
    targets?: { targetVectors: string[] };
    distance?: number;
    certainty?: number;
  };
  uses127Api: boolean;
}
export interface BatchDeleteRequestMsg {
  collection: string;
  filters?: FilterMsg;
  verbose: boolean;
  dryRun: boolean;
}

interface MessageType<M> {
  encode(message: M): { finish(): Uint8Array };
  decode(input: Uint8Array): M;
  fromPartial(object: unknown): M;
}
interface Unary<Req> {
  name: string;
  requestType: MessageType<Req>;
  requestStream: false;
  responseType: MessageType<unknown>;
  responseStream: false;
  options: Record<string, never>;
}
/** The three methods of `weaviate.v1.Weaviate` served here (the others answer UNIMPLEMENTED). */
export interface WeaviateServed {
  name: 'Weaviate';
  fullName: 'weaviate.v1.Weaviate';
  methods: {
    search: Unary<SearchRequestMsg>;
    batchObjects: Unary<{ objects: BatchObjectMsg[] }>;
    batchDelete: Unary<BatchDeleteRequestMsg>;
  };
}

/** The client's generated service definition; the package exports only `.`, so by file. */
export async function weaviateDefinition(): Promise<WeaviateServed> {
  const cjsEntry = createRequire(import.meta.url).resolve('weaviate-client'); // dist/node/cjs/index.js
  const file = join(dirname(cjsEntry), '..', 'esm', 'proto', 'v1', 'weaviate.js');
  const { WeaviateDefinition } = (await import(pathToFileURL(file).href)) as {
    WeaviateDefinition: WeaviateServed & { methods: Record<string, unknown> };
  }; // ts-proto's generated definition: the fields above are the proto's (v1/weaviate.proto)
  const { search, batchObjects, batchDelete } = WeaviateDefinition.methods;
  return { ...WeaviateDefinition, methods: { search, batchObjects, batchDelete } };
}

/** Filters_Operator of v1/base.proto. */
export const OP = { EQUAL: 1, NOT_EQUAL: 2, AND: 7, OR: 8, CONTAINS_ANY: 12, CONTAINS_ALL: 13, NOT: 15 } as const;

/** A float32 little-endian vector (the client's vectorToBytes; Weaviate's byteops). */
export function floats(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/** Float32 as Weaviate keeps vectors: a vector sent as a number list is rounded the same. */
export const asFloat32 = (v: number[]): number[] => Array.from(new Float32Array(v));

/** Weaviate's cosine distance: 1 − a·b / (|a||b|). */
export function cosineDistance(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? 1 - dot / Math.sqrt(na * nb) : 1;
}

export interface StoredObject {
  uuid: string;
  properties: Record<string, unknown>;
  vectors: Map<string, number[]>;
}

/** Whether `object` passes `filter` — the operators the store sends, others are refused. */
export function matches(object: StoredObject, filter: FilterMsg | undefined): boolean {
  if (!filter) return true;
  switch (filter.operator) {
    case OP.AND:
      return filter.filters.every((f) => matches(object, f));
    case OP.OR:
      return filter.filters.some((f) => matches(object, f));
    case OP.NOT:
      return !matches(object, filter.filters[0]);
  }
  const property = filter.target?.property ?? filter.on[0];
  if (!property) throw new ServerError(Status.UNKNOWN, 'filter has no target property');
  const value = property === '_id' ? object.uuid : object.properties[property];
  const text = filter.valueText;
  const list = filter.valueTextArray?.values;
  switch (filter.operator) {
    case OP.EQUAL:
      return text !== undefined && value === text;
    case OP.NOT_EQUAL:
      return text !== undefined && value !== text;
    case OP.CONTAINS_ANY:
      return list?.includes(String(value)) ?? false;
    case OP.CONTAINS_ALL:
      return list?.every((v) => v === value) ?? false;
  }
  throw new ServerError(
    Status.UNIMPLEMENTED,
    `the Weaviate stand-in does not model filter operator ${filter.operator}`,
  );
}

/** The query vector and its target of a nearVector, in every encoding the client uses (<1.29, ≥1.29). */
export function nearVectorQuery(near: NonNullable<SearchRequestMsg['nearVector']>): {
  target?: string;
  vector: number[];
} {
  const target = near.targets?.targetVectors[0] ?? near.targetVectors[0];
  if (near.vectors.length) {
    const single = near.vectors[0]!;
    if (single.type === 2) throw new ServerError(Status.UNIMPLEMENTED, 'the stand-in has no multi-vectors');
    return { target, vector: floats(single.vectorBytes) };
  }
  if (near.vectorBytes.length) return { target, vector: floats(near.vectorBytes) };
  return { target, vector: asFloat32(near.vector) };
}

/** A property value as v1/properties.proto's Value (the client reads textValue for text). */
export function propertyValue(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') return { textValue: value };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return { nullValue: 0 };
}

/** A UUID's 16 bytes (BatchDeleteObject.uuid). */
export const uuidBytes = (uuid: string): Uint8Array => Uint8Array.from(Buffer.from(uuid.replaceAll('-', ''), 'hex'));
