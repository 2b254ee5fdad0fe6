import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CallContext, createServer, ServerError, Status } from 'nice-grpc';
import {
  asFloat32,
  type BatchDeleteRequestMsg,
  type BatchObjectMsg,
  cosineDistance,
  floats,
  matches,
  nearVectorQuery,
  propertyValue,
  type SearchRequestMsg,
  type StoredObject,
  uuidBytes,
  weaviateDefinition,
} from './weaviate-stand-in-grpc.js';

/**
 * An in-memory Weaviate on loopback for weaviate-client 3.12 (no Weaviate server can be installed
 * here): the REST endpoints the client calls (/v1/meta, /v1/schema) and, on a second port, the gRPC
 * methods it inserts, searches and deletes with (BatchObjects, Search, BatchDelete) — exact cosine
 * search, the filter operators the store sends, the cursor API (`after`: objects in id order, no
 * filter with it), API-key checks on both as Weaviate's
 * (AUTHENTICATION_APIKEY: HTTP 401, gRPC UNAUTHENTICATED). Not modelled: HNSW (search is exact),
 * auto-schema (objects for a missing class are refused), tenants, other operators and searches.
 */

export interface WeaviateClass {
  class: string;
  properties?: Array<{ name: string; dataType: string[] }>;
  vectorConfig?: Record<string, { vectorIndexConfig?: { distance?: string } }>;
}
interface Collection {
  config: WeaviateClass;
  objects: Map<string, StoredObject>;
}
export interface RestCall {
  method: string;
  url: string;
  authorization?: string;
}
export interface GrpcCall {
  method: 'Search' | 'BatchObjects' | 'BatchDelete';
  authorization?: string;
  /** x-weaviate-client: the client's name and version. */
  client?: string;
  request: unknown;
}
export interface WeaviateStandIn {
  endpoint: string;
  /** host:port of the gRPC API (WEAVIATE_GRPC_ENDPOINT). */
  grpcEndpoint: string;
  collections: Map<string, Collection>;
  rest: RestCall[];
  grpc: GrpcCall[];
  /** QUERY_MAXIMUM_RESULTS (10,000 by default): the most a query returns, and a batch delete removes. */
  limits: { maximumResults: number };
  close(): Promise<void>;
}

/** Weaviate's QUERY_DEFAULTS_LIMIT. */
const DEFAULT_LIMIT = 10;

export async function startWeaviateStandIn(
  options: { apiKey?: string; version?: string } = {},
): Promise<WeaviateStandIn> {
  const collections = new Map<string, Collection>();
  const rest: RestCall[] = [];
  const grpc: GrpcCall[] = [];
  const version = options.version ?? '1.27.0';
  const bearer = options.apiKey && `Bearer ${options.apiKey}`;
  const limits = { maximumResults: 10_000 };

  const httpServer = http.createServer((req, res) => {
    const send = (status: number, body?: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body));
    rest.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    if (bearer && req.headers.authorization !== bearer)
      return send(401, { code: 401, message: 'anonymous access not enabled, please provide an auth scheme' });
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/v1/meta')
      return send(200, { hostname: 'http://[::]:8080', version, modules: {} });
    if (req.method === 'GET' && url === '/v1/schema')
      return send(200, { classes: [...collections.values()].map((c) => c.config) });
    if (req.method === 'POST' && url === '/v1/schema') {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        const created = JSON.parse(body) as WeaviateClass; // the client's POST /v1/schema body
        if (collections.has(created.class))
          return send(422, { error: [{ message: `class name "${created.class}" already exists` }] });
        collections.set(created.class, { config: created, objects: new Map() });
        send(200, created);
      });
      return;
    }
    const one = /^\/v1\/schema\/([^/?]+)$/.exec(url);
    if (one && req.method === 'GET') {
      const c = collections.get(decodeURIComponent(one[1]!));
      return c ? send(200, c.config) : send(404);
    }
    if (one && req.method === 'DELETE') {
      collections.delete(decodeURIComponent(one[1]!));
      return send(200);
    }
    send(404, { error: [{ message: `no route ${req.method} ${url} in the Weaviate stand-in` }] });
  });

  const record = (method: GrpcCall['method'], request: unknown, context: CallContext) => {
    const authorization = context.metadata.get('authorization');
    const client = context.metadata.get('x-weaviate-client');
    grpc.push({
      method,
      authorization: typeof authorization === 'string' ? authorization : undefined,
      client: typeof client === 'string' ? client : undefined,
      request,
    });
    // Weaviate's auth interceptor turns an authentication failure into UNAUTHENTICATED.
    if (bearer && authorization !== bearer)
      throw new ServerError(
        Status.UNAUTHENTICATED,
        authorization ? 'invalid api key' : 'anonymous access not enabled, please provide an auth scheme',
      );
  };
  const collection = (name: string): Collection => {
    const c = collections.get(name);
    if (!c) throw new ServerError(Status.UNKNOWN, `could not find class ${name} in schema`);
    return c;
  };

  const insert = (c: Collection | undefined, o: BatchObjectMsg): string | undefined => {
    if (!c) return `class ${o.collection} not found in schema (the stand-in has no auto-schema)`;
    const vectors = new Map<string, number[]>();
    for (const v of o.vectors) {
      if (v.type === 2) return 'the stand-in has no multi-vectors';
      vectors.set(v.name, floats(v.vectorBytes));
    }
    if (o.vectorBytes.length) vectors.set('', floats(o.vectorBytes));
    else if (o.vector.length) vectors.set('', asFloat32(o.vector));
    for (const [name, vector] of vectors) {
      const configured = c.config.vectorConfig;
      if (configured && name && !(name in configured))
        return `collection ${o.collection} has no named vector "${name}"`;
      const other = [...c.objects.values()].find((x) => x.uuid !== o.uuid && x.vectors.has(name));
      const length = other?.vectors.get(name)?.length;
      if (length !== undefined && length !== vector.length)
        return `new node has a vector with length ${vector.length}. Existing nodes have vectors with length ${length}`;
    }
    c.objects.set(o.uuid, { uuid: o.uuid, properties: { ...o.properties?.nonRefProperties }, vectors });
    return undefined;
  };

  const search = (request: SearchRequestMsg) => {
    const c = collection(request.collection);
    if (!request.uses127Api) throw new ServerError(Status.UNIMPLEMENTED, 'the stand-in answers the 1.27 API only');
    if (request.after) {
      // Weaviate's cursor (filters.ValidateCursor): objects in id order after `after`, nothing else.
      const set = [
        request.offset > 0 && 'offset',
        request.filters && 'where',
        request.sortBy.length > 0 && 'sort',
      ].filter(Boolean);
      if (set.length)
        throw new ServerError(Status.UNKNOWN, `${set.join(',')} cannot be set with after and limit parameters`);
    }
    const candidates = [...c.objects.values()].filter(
      (o) => matches(o, request.filters) && (!request.after || o.uuid > request.after),
    );
    let ranked: Array<{ o: StoredObject; distance?: number }>;
    if (request.nearVector) {
      const { target, vector } = nearVectorQuery(request.nearVector);
      const names = Object.keys(c.config.vectorConfig ?? {});
      const name = target ?? (names.length === 1 ? names[0]! : '');
      if (names.length && !names.includes(name))
        throw new ServerError(Status.UNKNOWN, `class ${request.collection} has no named vector "${name}"`);
      const max = request.nearVector.distance;
      ranked = candidates
        .filter((o) => o.vectors.has(name))
        .map((o) => {
          const stored = o.vectors.get(name)!;
          if (stored.length !== vector.length)
            throw new ServerError(Status.UNKNOWN, `vector lengths don't match: ${vector.length} vs ${stored.length}`);
          return { o, distance: cosineDistance(vector, stored) };
        })
        .filter((h) => max === undefined || h.distance <= max)
        .sort((a, b) => a.distance - b.distance);
    } else ranked = candidates.sort((a, b) => a.uuid.localeCompare(b.uuid)).map((o) => ({ o }));
    const limit = request.limit || DEFAULT_LIMIT;
    if (request.offset + limit > limits.maximumResults)
      throw new ServerError(Status.UNKNOWN, 'query maximum results exceeded');
    const wanted = request.properties;
    return {
      took: 0,
      results: ranked.slice(request.offset, request.offset + limit).map(({ o, distance }) => {
        const names = wanted?.returnAllNonrefProperties ? Object.keys(o.properties) : (wanted?.nonRefProperties ?? []);
        const fields = Object.fromEntries(
          names.filter((n) => n in o.properties).map((n) => [n, propertyValue(o.properties[n])]),
        );
        const withDistance = distance !== undefined && request.metadata?.distance;
        return {
          metadata: {
            id: request.metadata?.uuid ? o.uuid : '',
            ...(withDistance ? { distance, distancePresent: true } : {}),
          },
          properties: {
            nonRefProps: { fields },
            refProps: [],
            refPropsRequested: false,
            targetCollection: request.collection,
          },
        };
      }),
    };
  };

  const remove = (request: BatchDeleteRequestMsg) => {
    const c = collection(request.collection);
    if (!request.filters) throw new ServerError(Status.UNKNOWN, 'batch delete params: empty filters');
    const hits = [...c.objects.values()].filter((o) => matches(o, request.filters)).slice(0, limits.maximumResults);
    if (!request.dryRun) for (const o of hits) c.objects.delete(o.uuid);
    return {
      took: 0,
      failed: 0,
      matches: hits.length,
      successful: request.dryRun ? 0 : hits.length,
      objects: request.verbose ? hits.map((o) => ({ uuid: uuidBytes(o.uuid), successful: !request.dryRun })) : [],
    };
  };

  const grpcServer = createServer();
  grpcServer.add(await weaviateDefinition(), {
    async search(request, context) {
      record('Search', request, context);
      return search(request);
    },
    async batchObjects(request, context) {
      record('BatchObjects', request, context);
      const errors: Array<{ index: number; error: string }> = [];
      request.objects.forEach((o, index) => {
        const error = insert(collections.get(o.collection), o);
        if (error) errors.push({ index, error });
      });
      return { took: 0, errors };
    },
    async batchDelete(request, context) {
      record('BatchDelete', request, context);
      return remove(request);
    },
  });
  const grpcPort = await grpcServer.listen('127.0.0.1:0');
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo; // a TCP listener: an AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    grpcEndpoint: `127.0.0.1:${grpcPort}`,
    collections,
    rest,
    grpc,
    limits,
    async close() {
      grpcServer.forceShutdown();
      httpServer.closeAllConnections();
      await new Promise((resolve) => httpServer.close(resolve));
    },
  };
}
