import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDifyctlError } from '../../src/errors/index.js';
import { WeaviateStore } from '../../src/knowledge/index.js';
import { loadWeaviate } from '../../src/knowledge/stores/weaviate-client.js';
import {
  collectionConfig,
  collectionName,
  documentFilter,
  idsFilter,
  weaviateAddress,
} from '../../src/knowledge/stores/weaviate-config.js';

/**
 * No Weaviate server can be installed here: a loopback HTTP server stands in for Weaviate's REST API
 * (/v1/meta with the API key, /v1/schema) so that the real client's requests reach it; here a gRPC
 * port where nothing listens is tried. Inserts, searches and deletes over gRPC run against the
 * in-memory stand-in (test/helpers/weaviate-stand-in.ts) in knowledge-weaviate-grpc.test.ts,
 * knowledge-weaviate-faults.test.ts and, through the api and worker, knowledge-weaviate-stack.test.ts.
 */
interface Seen {
  method: string;
  url: string;
  authorization?: string;
  client?: string;
}

const KEY = 'right-key-0123';
const seen: Seen[] = [];
const classes = new Set<string>();
const posted: unknown[] = [];
let server: http.Server;
let endpoint: string;
const stack = new pg.Pool({ max: 1 }); // never connects: these calls do not reach the stack's database

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo; // listening on TCP: an AddressInfo
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function failure(work: Promise<unknown>): Promise<Error & { code?: string }> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isDifyctlError(error)).toBe(true);
  return error as Error & { code?: string }; // a DifyctlError, checked above
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      client: req.headers['x-weaviate-client'] as string | undefined, // one value per header here
    });
    if (req.headers.authorization !== `Bearer ${KEY}`)
      return send(res, 401, { code: 401, message: 'anonymous access not enabled, please provide an auth scheme' });
    if (req.method === 'GET' && req.url === '/v1/meta')
      return send(res, 200, { hostname: 'http://[::]:8080', version: '1.27.0' });
    if (req.method === 'GET' && req.url === '/v1/schema')
      return send(res, 200, { classes: [...classes].map((c) => ({ class: c, properties: [] })) });
    if (req.method === 'POST' && req.url === '/v1/schema') {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        const created = JSON.parse(body) as { class: string };
        posted.push(created);
        classes.add(created.class);
        send(res, 200, created);
      });
      return;
    }
    const drop = req.method === 'DELETE' && /^\/v1\/schema\/([^/?]+)$/.exec(req.url ?? '');
    if (drop) {
      classes.delete(decodeURIComponent(drop[1]!));
      return res.writeHead(200).end();
    }
    send(res, 404, { error: [{ message: 'not found' }] });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`; // TCP listener: an AddressInfo
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await stack.end();
});

describe('Weaviate store against a REST stand-in (the real weaviate-client)', () => {
  it('a refused WEAVIATE_API_KEY is VECTOR.WEAVIATE_AUTH naming the setting, never the key', async () => {
    seen.length = 0;
    const store = new WeaviateStore(stack, { endpoint, apiKey: 'wrong-key-9876' });
    const error = await failure(store.deleteDataset('0b6e1d7a-2a8c-4c1e-9f7d-3e2a1b0c9d8e'));
    expect(error.code).toBe('VECTOR.WEAVIATE_AUTH');
    expect(error.message).toContain('refuses WEAVIATE_API_KEY (HTTP 401');
    expect(error.message).toContain(endpoint);
    expect(error.message).not.toContain('wrong-key-9876');
    // The client's own request: its REST path, the key as a bearer token, its version header.
    expect(seen).toContainEqual({
      method: 'GET',
      url: '/v1/meta',
      authorization: 'Bearer wrong-key-9876',
      client: expect.stringMatching(/^weaviate-client-typescript\/3\.12\./),
    });
    await store.close();
  });

  it('no WEAVIATE_API_KEY where Weaviate wants one says it is not set', async () => {
    const store = new WeaviateStore(stack, { endpoint });
    const error = await failure(store.search('0b6e1d7a-2a8c-4c1e-9f7d-3e2a1b0c9d8e', [1, 0], 3));
    expect(error.code).toBe('VECTOR.WEAVIATE_AUTH');
    expect(error.message).toContain('WEAVIATE_API_KEY is not set');
    await store.close();
  });

  it('an endpoint where nothing listens is VECTOR.WEAVIATE_UNREACHABLE naming WEAVIATE_ENDPOINT', async () => {
    const port = await closedPort();
    const store = new WeaviateStore(stack, { endpoint: `http://127.0.0.1:${port}`, apiKey: KEY });
    const error = await failure(store.deleteDataset('0b6e1d7a-2a8c-4c1e-9f7d-3e2a1b0c9d8e'));
    expect(error.code).toBe('VECTOR.WEAVIATE_UNREACHABLE');
    expect(error.message).toContain(`Weaviate at http://127.0.0.1:${port} is unreachable (connection refused`);
    expect(error.message).toContain('WEAVIATE_ENDPOINT');
    await store.close();
  });

  it("with the right key, deleting a dataset drops its collection over the client's REST path", async () => {
    const datasetId = '5c1b6a0e-2b8f-4c53-9b1e-0f4a6d8e7c21';
    const name = collectionName(datasetId);
    classes.add(name);
    seen.length = 0;
    const store = new WeaviateStore(stack, { endpoint, apiKey: KEY });
    await store.deleteDataset(datasetId);
    expect(classes.has(name)).toBe(false);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /v1/meta',
      'GET /v1/schema',
      `DELETE /v1/schema/${name}`,
    ]);
    await store.deleteDataset(datasetId); // already gone: no DELETE
    expect(seen.filter((s) => s.method === 'DELETE')).toHaveLength(1);
    expect(await store.search(datasetId, [1, 0], 3)).toEqual([]); // no collection, no hits
    await store.close();
  });

  it('a gRPC port where nothing listens is VECTOR.WEAVIATE_UNREACHABLE naming WEAVIATE_GRPC_ENDPOINT', async () => {
    const datasetId = '7d2e4f60-1a3b-4c5d-8e9f-0a1b2c3d4e5f';
    classes.add(collectionName(datasetId));
    const grpc = `127.0.0.1:${await closedPort()}`;
    const store = new WeaviateStore(stack, { endpoint, apiKey: KEY, grpcEndpoint: grpc });
    // The client itself retries UNAVAILABLE 5 times with backoff (about 20 s), printing each attempt.
    const error = await failure(store.search(datasetId, [1, 0], 3));
    expect(error.code).toBe('VECTOR.WEAVIATE_UNREACHABLE');
    expect(error.message).toContain(`gRPC port ${grpc} does not answer`);
    expect(error.message).toContain('WEAVIATE_GRPC_ENDPOINT');
    await store.close();
  });

  it("builds the document and id filters with the real client's collection filter", async () => {
    const { default: weaviate } = await loadWeaviate();
    const client = await weaviate.connectToCustom({
      ...weaviateAddress(endpoint),
      authCredentials: KEY,
      skipInitChecks: true,
      timeout: { init: 2, query: 2, insert: 2 },
    });
    try {
      await client.getWeaviateVersion(); // cached: the collection helpers ask for it
      const { filter } = client.collections.use(collectionName('d'));
      expect(documentFilter(filter, 'doc-1')).toMatchObject({
        operator: 'Equal',
        target: { property: 'document_id' },
        value: 'doc-1',
      });
      expect(idsFilter(filter, ['u1', 'u2'])).toMatchObject({ operator: 'ContainsAny', value: ['u1', 'u2'] });
    } finally {
      await client.close();
    }
  });

  it("creates a dataset's collection as Dify's: class name, text properties, the self-provided vector `default`, cosine", async () => {
    const { default: weaviate, configure } = await loadWeaviate();
    const client = await weaviate.connectToCustom({
      ...weaviateAddress(endpoint),
      authCredentials: KEY,
      skipInitChecks: true,
      timeout: { init: 2, query: 2, insert: 2 },
    });
    try {
      await client.getWeaviateVersion();
      const name = collectionName('9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d');
      await client.collections.create(collectionConfig(configure, name));
      expect(posted.at(-1)).toMatchObject({
        class: 'Vector_index_9a8b7c6d_5e4f_4a3b_8c2d_1e0f9a8b7c6d_Node',
        properties: expect.arrayContaining([
          expect.objectContaining({ name: 'text', dataType: ['text'], tokenization: 'word' }),
          expect.objectContaining({ name: 'document_id', dataType: ['text'] }),
          expect.objectContaining({ name: 'doc_id', dataType: ['text'] }),
          expect.objectContaining({ name: 'segment_id', dataType: ['text'] }),
        ]),
        vectorConfig: {
          default: { vectorizer: { none: {} }, vectorIndexType: 'hnsw', vectorIndexConfig: { distance: 'cosine' } },
        },
      });
    } finally {
      await client.close();
    }
  });
});
