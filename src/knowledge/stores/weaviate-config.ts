import type { WeaviateAddress, WeaviateModule } from './weaviate-client.js';

/**
 * The pure parts of the Weaviate store, laid out as Dify's WeaviateVector
 * (api/core/rag/datasource/vdb/weaviate/weaviate_vector.py): the collection of a dataset, where the
 * client connects, the score of a hit.
 */

/** Dify's Dataset.gen_collection_name_by_id: `Vector_index_<id with - as _>_Node`. */
export function collectionName(datasetId: string): string {
  return `Vector_index_${datasetId.replaceAll('-', '_')}_Node`;
}

/** The named vector Dify's collections carry (`Configure.Vectors.self_provided()`). */
export const VECTOR_NAME = 'default';

/** Properties of each object: Dify's text / document_id / doc_id, plus what difyctl reads back. */
export const PROPERTIES = ['text', 'document_id', 'doc_id', 'doc_hash', 'dataset_id', 'segment_id'] as const;

/** The collection of a dataset as Dify creates it: text properties, our vectors as `default`, cosine. */
export function collectionConfig(configure: WeaviateModule['configure'], name: string) {
  return {
    name,
    properties: PROPERTIES.map((p) =>
      p === 'text'
        ? { name: p, dataType: 'text' as const, tokenization: 'word' as const }
        : { name: p, dataType: 'text' as const },
    ),
    vectorizers: configure.vectors.selfProvided({
      name: VECTOR_NAME,
      vectorIndexConfig: configure.vectorIndex.hnsw({ distanceMetric: 'cosine' }),
    }),
  };
}

/**
 * Where the client connects, from WEAVIATE_ENDPOINT (http(s)://host[:port][/path]) and, when set,
 * WEAVIATE_GRPC_ENDPOINT (grpc://host:port, grpcs://host:port, or http(s)://). As Dify does without
 * the latter: the gRPC host is the HTTP host, on 443 when HTTPS, else 50051.
 */
export function weaviateAddress(endpoint: string, grpcEndpoint?: string): WeaviateAddress {
  const http = new URL(endpoint);
  const httpSecure = http.protocol === 'https:';
  const address: WeaviateAddress = {
    httpHost: http.hostname,
    httpPort: http.port ? Number(http.port) : httpSecure ? 443 : 80,
    httpSecure,
    httpPath: http.pathname.replace(/\/+$/, ''),
    grpcHost: http.hostname,
    grpcPort: httpSecure ? 443 : 50051,
    grpcSecure: httpSecure,
  };
  if (!grpcEndpoint) return address;
  // A bare host:port has no scheme URL can read: it is plain gRPC.
  const grpc = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(grpcEndpoint) ? grpcEndpoint : `grpc://${grpcEndpoint}`);
  const grpcSecure = grpc.protocol === 'grpcs:' || grpc.protocol === 'https:';
  return {
    ...address,
    grpcHost: grpc.hostname,
    grpcPort: grpc.port ? Number(grpc.port) : grpcSecure ? 443 : 50051,
    grpcSecure,
  };
}

/** Cosine distance (0…2) as Dify scores it: 1 − distance; no distance counts as 1 (score 0). */
export function scoreFromDistance(distance: number | undefined): number {
  return 1 - (distance ?? 1);
}

/** What Weaviate filters on to remove one document's objects (Dify's delete_by_metadata_field). */
export const DOCUMENT_PROPERTY = 'document_id';

/** One document's objects, built with a collection's `filter`. */
export const documentFilter = <F>(
  filter: { byProperty(name: string): { equal(value: string): F } },
  documentId: string,
): F => filter.byProperty(DOCUMENT_PROPERTY).equal(documentId);

/** The objects with these ids (UUIDs), built with a collection's `filter`. */
export const idsFilter = <F>(filter: { byId(): { containsAny(ids: string[]): F } }, ids: string[]): F =>
  filter.byId().containsAny(ids);
