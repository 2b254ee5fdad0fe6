import type pg from 'pg';
import type { Logger } from '../logger.js';

/** Rows removed per statement, so a big app never holds long locks. */
export const BATCH = 1000;

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function deleteInBatches(pool: pg.Pool, table: string, column: string, appId: string): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await pool.query(
      `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${column} = $1 LIMIT ${BATCH})`,
      [appId],
    );
    total += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < BATCH) return total;
  }
}

/**
 * Dify's remove_app_and_related_data_task: the console hid the app (status `deleting`); this removes
 * its feedback, messages, conversations, end users, keys, model configs and dataset links in
 * batches, then the app row. Idempotent: an app already gone is done; an app that is not being
 * deleted is left alone (the task fails after its retries).
 */
export async function removeAppAndRelatedData(
  pool: pg.Pool,
  data: Record<string, unknown>,
  logger: Logger,
): Promise<void> {
  const appId = data.app_id;
  if (typeof appId !== 'string' || !uuid.test(appId))
    throw new Error(`app_deletion: app_id must be a UUID, got ${JSON.stringify(appId)}`);
  const { rows } = await pool.query<{ status: string }>('SELECT status FROM apps WHERE id = $1', [appId]);
  if (!rows[0]) return;
  if (rows[0].status !== 'deleting') {
    // The console marks the app in the transaction that queues this task: a task that runs before
    // that commit retries (with backoff); one whose transaction rolled back ends up failed, app intact.
    throw new Error(`app_deletion: app ${appId} is not marked for deletion (status ${rows[0].status})`);
  }
  const removed: Record<string, number> = {};
  for (const table of [
    'message_feedbacks',
    'messages',
    'conversations',
    'end_users',
    'api_tokens',
    'app_model_configs',
    'app_dataset_joins',
  ]) {
    removed[table] = await deleteInBatches(pool, table, 'app_id', appId);
  }
  await pool.query(`DELETE FROM apps WHERE id = $1 AND status = 'deleting'`, [appId]);
  logger.info({ appId, removed }, 'app and its data removed');
}
