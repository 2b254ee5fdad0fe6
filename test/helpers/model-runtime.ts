/**
 * A migrated database with one workspace, a pool on it, and a model runtime over it, for the model
 * runtime's integration tests. `stop()` ends the pool (the PostgreSQL server is the caller's).
 */
import pg from 'pg';
import {
  createModelRuntime,
  type ModelRuntimeOptions,
  type ModelRuntimeService,
} from '../../src/model-runtime/index.js';
import { migratedDatabase, SECRET_KEY } from '../integration/server-fixtures.js';
import type { TestPostgres } from './postgres.js';

export interface RuntimeFixture {
  pool: pg.Pool;
  tenantId: string;
  runtime: ModelRuntimeService;
  /** Another runtime on the same database (other options, e.g. short timeouts). */
  another(options?: Partial<ModelRuntimeOptions>): Promise<ModelRuntimeService>;
  /** A new empty workspace. */
  newTenant(): Promise<string>;
  stop(): Promise<void>;
}

export async function runtimeFixture(
  server: TestPostgres,
  options: Partial<ModelRuntimeOptions> = {},
): Promise<RuntimeFixture> {
  const db = await migratedDatabase(server);
  const pool = new pg.Pool({
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.database,
    max: 5,
  });
  // An idle client dropped by the server's shutdown is the pool's 'error' event: not an uncaught exception.
  pool.on('error', () => {});
  const newTenant = async (): Promise<string> => {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO tenants (name) VALUES ('Test workspace') RETURNING id`,
    );
    return (rows[0] as { id: string }).id;
  };
  const tenantId = await newTenant();
  const build = (more: Partial<ModelRuntimeOptions> = {}) =>
    createModelRuntime({ pool, secretKey: SECRET_KEY, ...options, ...more });
  return { pool, tenantId, runtime: await build(), another: build, newTenant, stop: () => pool.end() };
}

/** Everything a call streamed, and its result. */
export async function drain(call: { textStream: AsyncIterable<string>; result: Promise<unknown> }): Promise<string[]> {
  const deltas: string[] = [];
  for await (const delta of call.textStream) deltas.push(delta);
  return deltas;
}
