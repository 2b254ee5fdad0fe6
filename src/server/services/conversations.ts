import type pg from 'pg';
import { notFound } from '../http-error.js';
import { unixSeconds } from './unix-time.js';

/** Dify's service API sort keys for GET /conversations. */
export const CONVERSATION_SORTS = ['created_at', '-created_at', 'updated_at', '-updated_at'] as const;
export type ConversationSort = (typeof CONVERSATION_SORTS)[number];

interface ConversationRow {
  id: string;
  name: string;
  inputs: Record<string, unknown>;
  status: string;
  introduction: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Dify's `simple_conversation_fields`. */
export function simpleConversationJson(row: ConversationRow) {
  return {
    id: row.id,
    name: row.name,
    inputs: row.inputs ?? {},
    status: row.status,
    introduction: row.introduction ?? '',
    created_at: unixSeconds(row.created_at),
    updated_at: unixSeconds(row.updated_at),
  };
}

const COLUMNS = 'id, name, inputs, status, introduction, created_at, updated_at';
/** COLUMNS of the row an UPDATE aliased `c` wrote. */
const COLUMNS_OF_C = COLUMNS.split(', ')
  .map((column) => `c.${column}`)
  .join(', ');

/**
 * What one end user of the service API sees: the app's conversations started through the API by
 * them (Dify's ConversationService scope), not deleted.
 */
const ownedBy = (row: string): string =>
  `${row}app_id = $1 AND ${row}from_source = 'api' AND ${row}from_end_user_id = $2 AND NOT ${row}is_deleted AND (${row}invoke_from IS NULL OR ${row}invoke_from = 'service-api')`;
const OWNED = ownedBy('');

/**
 * The conversation `$3` by its key alone, as `mine`; its scope is checked on the row
 * (`ownedBy('mine.')`): docs/ARCHITECTURE.md, "Lookups by key".
 */
const MINE = 'WITH mine AS MATERIALIZED (SELECT * FROM conversations WHERE id = $3)';
const MINE_OWNED = ownedBy('mine.');

export interface EndUserScope {
  appId: string;
  endUserId: string;
}

/**
 * GET /conversations: a page after `lastId` in `sortBy` order (ties broken by id, so equal
 * timestamps never skip or repeat a row).
 * @throws HttpError 404 when lastId is not one of this user's conversations
 */
export async function listConversations(
  pool: pg.Pool,
  input: EndUserScope & { lastId?: string; limit: number; sortBy: ConversationSort },
) {
  const field = input.sortBy.replace('-', '') as 'created_at' | 'updated_at';
  const descending = input.sortBy.startsWith('-');
  const params: unknown[] = [input.appId, input.endUserId];
  let after = '';
  if (input.lastId) {
    const { rowCount } = await pool.query(`${MINE} SELECT 1 FROM mine WHERE ${MINE_OWNED}`, [...params, input.lastId]);
    if (!rowCount) throw notFound('Last Conversation Not Exists.');
    params.push(input.lastId);
    // Compared in SQL: a JavaScript Date would cut PostgreSQL's microseconds.
    after = ` AND (${field}, id) ${descending ? '<' : '>'} (SELECT ${field}, id FROM conversations WHERE id = $3)`;
  }
  const direction = descending ? 'DESC' : 'ASC';
  const { rows } = await pool.query<ConversationRow>(
    `SELECT ${COLUMNS} FROM conversations WHERE ${OWNED}${after} ORDER BY ${field} ${direction}, id ${direction} LIMIT ${input.limit + 1}`,
    params,
  );
  return {
    limit: input.limit,
    has_more: rows.length > input.limit,
    data: rows.slice(0, input.limit).map(simpleConversationJson),
  };
}

/** @throws HttpError 404 "Conversation Not Exists." outside the user's scope */
export async function getConversation(
  pool: pg.Pool,
  input: EndUserScope & { conversationId: string },
): Promise<ConversationRow> {
  const { rows } = await pool.query<ConversationRow>(`${MINE} SELECT ${COLUMNS} FROM mine WHERE ${MINE_OWNED}`, [
    input.appId,
    input.endUserId,
    input.conversationId,
  ]);
  if (!rows[0]) throw notFound('Conversation Not Exists.');
  return rows[0];
}

/** A name the user chose. */
export async function renameConversation(
  pool: pg.Pool,
  input: EndUserScope & { conversationId: string; name: string },
) {
  const { rows } = await pool.query<ConversationRow>(
    `${MINE} UPDATE conversations c SET name = $4, updated_at = now() FROM mine
      WHERE c.id = mine.id AND ${MINE_OWNED} RETURNING ${COLUMNS_OF_C}`,
    [input.appId, input.endUserId, input.conversationId, input.name],
  );
  if (!rows[0]) throw notFound('Conversation Not Exists.');
  return simpleConversationJson(rows[0]);
}

/** Hidden from the user and from the console logs; its messages stay for the app's statistics. */
export async function deleteConversation(
  pool: pg.Pool,
  input: EndUserScope & { conversationId: string },
): Promise<void> {
  const result = await pool.query(
    `${MINE} UPDATE conversations c SET is_deleted = true, updated_at = now() FROM mine WHERE c.id = mine.id AND ${MINE_OWNED}`,
    [input.appId, input.endUserId, input.conversationId],
  );
  if (result.rowCount !== 1) throw notFound('Conversation Not Exists.');
}
