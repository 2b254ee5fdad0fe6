import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/resolve.js';
import { runChecks, type CheckReport } from '../../src/doctor/index.js';
import { tempDir } from '../helpers/cli.js';
import { startPgvector, type TestPgvector } from '../helpers/pglite-pgvector.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { migratedDatabase } from './server-fixtures.js';

let pg: TestPostgres;
let pgv: TestPgvector;
const cleanups: Array<() => Promise<void>> = [];
beforeAll(async () => {
  [pg, pgv] = await Promise.all([startPostgres(), startPgvector()]);
}, 90_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await Promise.all([pg?.stop(), pgv?.stop()]);
});

/** The `vector` check of a project whose .env holds `env`. */
async function vectorCheck(env: Record<string, string>): Promise<CheckReport> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const lines = { DEPLOY_ENV: 'TESTING', SECRET_KEY: 'a-fresh-secret-key-that-is-long-enough-0123456789', ...env };
  await writeFile(
    path.join(dir, '.env'),
    `${Object.entries(lines)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  const report = await runChecks({ config: loadConfig({ projectDir: dir, env: {} }), only: ['vector'] });
  expect(report.checks.map((c) => c.id)).toEqual(['vector']);
  return report.checks[0]!;
}

/** A loopback stand-in for Weaviate's ready and meta endpoints (no Weaviate server can be installed here). */
async function fakeWeaviate(ready: number, key: string): Promise<string> {
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${key}`) res.writeHead(401).end();
    else if (req.url === '/v1/.well-known/ready') res.writeHead(ready).end();
    else if (req.url === '/v1/meta')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version: '1.25.0' }));
    else res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

describe("doctor's vector check follows VECTOR_STORE", () => {
  it('postgres (default store): ok on a migrated database, fail with `difyctl migrate` on an empty one', async () => {
    const migrated = await migratedDatabase(pg);
    expect(await vectorCheck({ ...pg.env(migrated.database), VECTOR_STORE: 'postgres' })).toMatchObject({
      status: 'ok',
      finding: expect.stringMatching(/document_segments\.embedding \(real\[\]\).*0 vector/),
    });
    const empty = await pg.createDatabase();
    expect(await vectorCheck({ ...pg.env(empty.database), VECTOR_STORE: 'postgres' })).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('difyctl migrate'),
    });
  });

  it('an unsupported VECTOR_STORE warns that the default store is used', async () => {
    const migrated = await migratedDatabase(pg);
    expect(await vectorCheck({ ...pg.env(migrated.database), VECTOR_STORE: 'qdrant' })).toMatchObject({
      status: 'warn',
      finding: expect.stringContaining('VECTOR_STORE=qdrant is not one difyctl supports'),
      fix: expect.stringContaining('VECTOR_STORE=postgres'),
    });
  });

  it('pgvector on the real pgvector (PGlite): ok, naming its version', async () => {
    expect(await vectorCheck(pgv.env)).toMatchObject({
      status: 'ok',
      finding: expect.stringMatching(new RegExp(`^pgvector \\d+\\.\\d+\\.\\d+ .*127\\.0\\.0\\.1:${pgv.port}/postgres`)),
    });
  });

  it('pgvector on a PostgreSQL without the extension: fail with the fix; a wrong password or a closed port name their variables', async () => {
    const env = {
      VECTOR_STORE: 'pgvector',
      PGVECTOR_HOST: pg.host,
      PGVECTOR_PORT: String(pg.port),
      PGVECTOR_USER: pg.user,
      PGVECTOR_PASSWORD: pg.password,
      PGVECTOR_DATABASE: pg.database,
    };
    expect(await vectorCheck(env)).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('has no pgvector extension'),
      fix: expect.stringMatching(/Install pgvector.*VECTOR_STORE=postgres/),
    });
    const wrong = await vectorCheck({ ...env, PGVECTOR_PASSWORD: 'not-the-password' });
    expect(wrong).toMatchObject({ status: 'fail', fix: expect.stringContaining('PGVECTOR_PASSWORD') });
    expect(JSON.stringify(wrong)).not.toContain('not-the-password');
    expect(await vectorCheck({ ...env, PGVECTOR_PORT: String(await getPort()) })).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('nothing answers'),
      fix: expect.stringContaining('PGVECTOR_PORT'),
    });
  });

  it('weaviate: ready → ok with its version; not ready (503) → fail; a wrong WEAVIATE_API_KEY → fail naming it', async () => {
    const ready = await fakeWeaviate(200, 'right');
    const weaviate = (endpoint: string, key: string) =>
      vectorCheck({ VECTOR_STORE: 'weaviate', WEAVIATE_ENDPOINT: endpoint, WEAVIATE_API_KEY: key });
    expect(await weaviate(ready, 'right')).toMatchObject({
      status: 'ok',
      finding: expect.stringContaining('Weaviate 1.25.0'),
    });
    expect(await weaviate(await fakeWeaviate(503, 'right'), 'right')).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('not ready'),
    });
    const rejected = await weaviate(ready, 'wrong-key-value');
    expect(rejected).toMatchObject({ status: 'fail', fix: expect.stringContaining('WEAVIATE_API_KEY') });
    expect(JSON.stringify(rejected)).not.toContain('wrong-key-value');
  });
});
