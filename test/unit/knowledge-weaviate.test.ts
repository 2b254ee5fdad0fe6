import { describe, expect, it } from 'vitest';
import { isDifyctlError } from '../../src/errors/index.js';
import { loadWeaviate } from '../../src/knowledge/stores/weaviate-client.js';
import {
  collectionName,
  scoreFromDistance,
  VECTOR_NAME,
  weaviateAddress,
} from '../../src/knowledge/stores/weaviate-config.js';
import { weaviateFault } from '../../src/knowledge/stores/weaviate-errors.js';

const where = { origin: 'http://127.0.0.1:8080', grpc: '127.0.0.1:50051', keySet: true };

describe('Weaviate store: pure parts', () => {
  it("names a dataset's collection as Dify's gen_collection_name_by_id", () => {
    expect(collectionName('5c1b6a0e-2b8f-4c53-9b1e-0f4a6d8e7c21')).toBe(
      'Vector_index_5c1b6a0e_2b8f_4c53_9b1e_0f4a6d8e7c21_Node',
    );
  });

  it('reads host, port, TLS and path from WEAVIATE_ENDPOINT, gRPC on 50051 (443 with https) as Dify', () => {
    expect(weaviateAddress('http://weaviate:8080')).toEqual({
      httpHost: 'weaviate',
      httpPort: 8080,
      httpSecure: false,
      httpPath: '',
      grpcHost: 'weaviate',
      grpcPort: 50051,
      grpcSecure: false,
    });
    expect(weaviateAddress('https://cluster.example.com/weaviate/')).toMatchObject({
      httpHost: 'cluster.example.com',
      httpPort: 443,
      httpSecure: true,
      httpPath: '/weaviate',
      grpcPort: 443,
      grpcSecure: true,
    });
    expect(weaviateAddress('http://localhost')).toMatchObject({ httpPort: 80, grpcPort: 50051 });
  });

  it('takes the gRPC address from WEAVIATE_GRPC_ENDPOINT (grpc://, grpcs://, bare host:port)', () => {
    expect(weaviateAddress('http://a:8080', 'grpc://b:6000')).toMatchObject({
      httpHost: 'a',
      grpcHost: 'b',
      grpcPort: 6000,
      grpcSecure: false,
    });
    expect(weaviateAddress('http://a:8080', 'grpcs://b')).toMatchObject({ grpcPort: 443, grpcSecure: true });
    expect(weaviateAddress('http://a:8080', 'b:7000')).toMatchObject({ grpcHost: 'b', grpcPort: 7000 });
  });

  it('scores a hit 1 − cosine distance, a hit without distance 0', () => {
    expect(scoreFromDistance(0)).toBe(1);
    expect(scoreFromDistance(0.25)).toBe(0.75);
    expect(scoreFromDistance(2)).toBe(-1);
    expect(scoreFromDistance(undefined)).toBe(0);
  });

  it('the module has the shape weaviate-client.ts declares: a self-provided named vector, cosine HNSW', async () => {
    const { default: weaviate, configure } = await loadWeaviate();
    expect(typeof weaviate.connectToCustom).toBe('function');
    const vectors = configure.vectors.selfProvided({
      name: VECTOR_NAME,
      vectorIndexConfig: configure.vectorIndex.hnsw({ distanceMetric: 'cosine' }),
    });
    expect(vectors).toMatchObject({
      name: 'default',
      vectorizer: { name: 'none' },
      vectorIndex: { name: 'hnsw', config: { distance: 'cosine' } },
    });
  });

  it("turns the client's auth and network faults into errors naming the setting", () => {
    const auth = weaviateFault({ name: 'WeaviateUnauthenticatedError', message: 'Unauthenticated: {}' }, where);
    expect(isDifyctlError(auth) && auth.code).toBe('VECTOR.WEAVIATE_AUTH');
    expect((auth as Error).message).toContain('WEAVIATE_API_KEY');
    const forbidden = weaviateFault({ name: 'WeaviateInsufficientPermissionsError', code: 403, message: 'x' }, where);
    expect((forbidden as Error).message).toContain('HTTP 403');
    const refused = weaviateFault(
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      where,
    );
    expect(isDifyctlError(refused) && refused.code).toBe('VECTOR.WEAVIATE_UNREACHABLE');
    expect((refused as Error).message).toMatch(/connection refused.*WEAVIATE_ENDPOINT/);
    const grpc = weaviateFault(
      {
        name: 'WeaviateQueryError',
        message:
          'Query call with protocol gRPC failed with message: /weaviate.v1.Weaviate/Search UNAVAILABLE: No connection established',
      },
      where,
    );
    expect((grpc as Error).message).toMatch(/127\.0\.0\.1:50051.*WEAVIATE_GRPC_ENDPOINT/);
    const other = new Error('something else');
    expect(weaviateFault(other, where)).toBe(other);
  });
});
