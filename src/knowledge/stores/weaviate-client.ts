/**
 * The part of the official `weaviate-client` (3.12) the Weaviate store uses, typed here rather than
 * imported: the client's declarations reach cross-fetch's `/// <reference lib="dom" />`, which would
 * swap Node's ReadableStream and fetch types for the DOM's across the whole program. The store's
 * unit test checks these names against the real module.
 */

export interface WeaviateFilter {
  readonly operator: string;
}

export interface WeaviateObject {
  uuid: string;
  properties: Record<string, unknown>;
  metadata?: { distance?: number };
}

export interface WeaviateCollection {
  data: {
    insertMany(
      objects: Array<{ id: string; properties: Record<string, string>; vectors: Record<string, number[]> }>,
    ): Promise<{ hasErrors: boolean; errors: Record<number, { message: string }> }>;
    /** One call removes at most QUERY_MAXIMUM_RESULTS (10,000 by default) of the matching objects. */
    deleteMany(where: WeaviateFilter): Promise<{ matches: number; successful: number; failed: number }>;
  };
  query: {
    nearVector(
      vector: number[],
      opts: { limit: number; targetVector: string; returnMetadata: ['distance']; returnProperties: string[] },
    ): Promise<{ objects: WeaviateObject[] }>;
    fetchObjects(opts: {
      filters?: WeaviateFilter;
      /** The cursor API: the objects in id order after this id; Weaviate takes no filter with it. */
      after?: string;
      limit: number;
      returnProperties: string[];
    }): Promise<{ objects: WeaviateObject[] }>;
  };
  filter: {
    byProperty(name: string): { equal(value: string): WeaviateFilter };
    byId(): { containsAny(ids: string[]): WeaviateFilter };
  };
}

export interface WeaviateClient {
  collections: {
    exists(name: string): Promise<boolean>;
    create(config: {
      name: string;
      properties: Array<{ name: string; dataType: 'text'; tokenization?: 'word' }>;
      vectorizers: unknown;
    }): Promise<unknown>;
    delete(name: string): Promise<void>;
    use(name: string): WeaviateCollection;
  };
  /** GET /v1/meta through the client's version cache (later calls reuse it). */
  getWeaviateVersion(): Promise<unknown>;
  close(): Promise<void>;
}

/** Where the client connects (weaviate-config.ts's weaviateAddress works it out from the settings). */
export interface WeaviateAddress {
  httpHost: string;
  httpPort: number;
  httpSecure: boolean;
  /** A path prefix when Weaviate sits behind a proxy at http://host/weaviate. */
  httpPath: string;
  grpcHost: string;
  grpcPort: number;
  grpcSecure: boolean;
}

export interface ConnectToCustomOptions extends WeaviateAddress {
  /** An API key as a string (the client's isApiKey accepts one). */
  authCredentials?: string;
  skipInitChecks: boolean;
  timeout: { init: number; query: number; insert: number };
}

export interface WeaviateModule {
  default: { connectToCustom(options: ConnectToCustomOptions): Promise<WeaviateClient> };
  configure: {
    vectors: { selfProvided(opts: { name: string; vectorIndexConfig: unknown }): unknown };
    vectorIndex: { hnsw(opts: { distanceMetric: 'cosine' }): unknown };
  };
}

/** A variable specifier keeps TypeScript from reading the client's declarations (see above). */
const CLIENT = 'weaviate-client';

/** Loads the client on first use only: the CLI and stores other than Weaviate never do. */
export async function loadWeaviate(): Promise<WeaviateModule> {
  // The shape above is what weaviate-client 3.12 exports; test/unit/knowledge-weaviate.test.ts checks it.
  return (await import(CLIENT)) as WeaviateModule;
}
