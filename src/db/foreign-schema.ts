import type { ClientBase } from 'pg';
import type { DifyctlError } from '../errors/index.js';
import { migrateForeignSchema } from './errors.js';

/** A schema difyctl did not create and must not migrate over. */
export interface ForeignSchema {
  kind: 'alembic';
  table: 'alembic_version';
  /** The Alembic revision recorded there (Dify's migration id), when readable. */
  version: string | null;
}

/** Recognises Dify's own schema (Flask-Migrate/Alembic keeps its revision in `alembic_version`). */
export async function detectForeignSchema(client: ClientBase): Promise<ForeignSchema | null> {
  const { rows } = await client.query<{ exists: boolean }>(
    `SELECT to_regclass('alembic_version') IS NOT NULL AS exists`,
  );
  if (!rows[0]?.exists) return null;
  const version = await client
    .query<{ version_num: string }>('SELECT version_num FROM alembic_version LIMIT 1')
    .then((r) => r.rows[0]?.version_num ?? null)
    .catch(() => null);
  return { kind: 'alembic', table: 'alembic_version', version };
}

export function foreignSchemaError(foreign: ForeignSchema, database: string): DifyctlError {
  return migrateForeignSchema(
    `Database ${database} holds a Dify schema (alembic_version ${foreign.version ?? 'unknown'}); difyctl will not migrate over it`,
    {
      why: "Dify's own migrations (Alembic) manage this database; difyctl's schema is different and would collide with it.",
      hint: "Point DB_DATABASE at an empty database for difyctl (e.g. DB_DATABASE=difyctl), or keep using Dify's own api image on this one.",
      details: { table: foreign.table, version: foreign.version },
    },
  );
}
