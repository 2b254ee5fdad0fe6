import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresKeyValue, postgresStore, sweepExpired } from '../../src/server/store/postgres-store.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { migratedDatabase } from './server-fixtures.js';

let server: TestPostgres;
let pool: pg.Pool;

beforeAll(async () => {
  server = await startPostgres();
  pool = new pg.Pool(await migratedDatabase(server));
  // As the server's pool does: an idle client the server drops (its shutdown at the end) is the
  // pool's 'error' event, which must have a listener or it is an uncaught exception.
  pool.on('error', () => {});
});
afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

const rows = async () =>
  (await pool.query<{ key: string }>('SELECT key FROM kv_store ORDER BY key')).rows.map((r) => r.key);

describe('the PostgreSQL fallback store reclaims expired keys', () => {
  it('sweepExpired deletes expired rows and keeps live and permanent ones', async () => {
    const kv = postgresKeyValue(pool);
    await kv.set('sweep:permanent', 'v');
    await kv.set('sweep:live', 'v', 600);
    await pool.query(
      `INSERT INTO kv_store (key, value, expires_at, updated_at) VALUES ('sweep:expired', 'v', now() - interval '1 second', now())`,
    );
    expect(await kv.get('sweep:expired')).toBeNull();
    expect(await sweepExpired(pool)).toBeGreaterThanOrEqual(1);
    expect((await rows()).filter((k) => k.startsWith('sweep:'))).toEqual(['sweep:live', 'sweep:permanent']);
  });

  it('the store sweeps on its own timer until closed', async () => {
    await pool.query(
      `INSERT INTO kv_store (key, value, expires_at, updated_at) VALUES ('timer:expired', 'v', now() - interval '1 second', now())`,
    );
    const store = postgresStore(pool, { sweepIntervalMs: 20 });
    try {
      while ((await rows()).includes('timer:expired')) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await store.close();
    }
    expect(await rows()).not.toContain('timer:expired');
  });
});
