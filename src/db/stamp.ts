import type { ClientBase } from 'pg';
import { HISTORY_TABLE, INSERT_HISTORY } from './history-table.js';
import { inTransaction } from './transaction.js';
import type { KnownMigration } from './types.js';

/**
 * Makes the history say the database is at `target` without running any migration (Alembic's
 * `stamp`): rows for the chain up to `target` (with the current checksums, which also accepts drift),
 * none after it. Revisions the chain does not know are left alone.
 */
export async function stampTo(client: ClientBase, chain: KnownMigration[], target: string): Promise<void> {
  const end = target === 'base' ? 0 : chain.findIndex((m) => m.revision === target) + 1;
  const keep = chain.slice(0, end);
  const drop = chain.slice(end).map((m) => m.revision);
  await inTransaction(client, async () => {
    if (drop.length > 0) await client.query(`DELETE FROM ${HISTORY_TABLE} WHERE revision = ANY($1::text[])`, [drop]);
    for (const m of keep) {
      await client.query(
        `${INSERT_HISTORY} ON CONFLICT (revision) DO UPDATE SET checksum = EXCLUDED.checksum, description = EXCLUDED.description`,
        [m.revision, m.checksum, m.description, 0],
      );
    }
  });
}
