import type pg from 'pg';
import { inTransaction } from '../db.js';
import { badRequest, notFound } from '../http-error.js';
import { getConversation, type EndUserScope } from './conversations.js';
import { MESSAGE_COLUMNS, messagePage, serviceMessageJson, type FileUrl, type MessageRow } from './message-json.js';

/**
 * GET /messages: the end user's conversation history, newest page first, each page oldest first.
 * @throws HttpError 404 for another user's (or a deleted) conversation, or an unknown first_id
 */
export async function listMessages(
  pool: pg.Pool,
  input: EndUserScope & { conversationId: string; firstId?: string; limit: number; fileUrl?: FileUrl },
) {
  if (!input.conversationId) return { limit: input.limit, has_more: false, data: [] };
  await getConversation(pool, input);
  const page = await messagePage(pool, input, serviceMessageJson);
  if (!page) throw notFound('First Message Not Exists.');
  return page;
}

/**
 * One of the end user's messages in the app (Dify's MessageService.get_message scope).
 * @throws HttpError 404 "Message Not Exists."
 */
export async function getOwnMessage(
  db: pg.Pool | pg.PoolClient,
  input: EndUserScope & { messageId: string },
): Promise<MessageRow & { app_model_config_id: string | null }> {
  const { rows } = await db.query<MessageRow & { app_model_config_id: string | null; owned: boolean }>(
    // By its key alone, the scope checked on the row (docs/ARCHITECTURE.md, "Lookups by key").
    `SELECT ${MESSAGE_COLUMNS}, c.app_model_config_id,
            (m.app_id = $1 AND m.from_source = 'api' AND m.from_end_user_id = $2) AS owned
       FROM messages m JOIN conversations c ON c.id = m.conversation_id
      WHERE m.id = $3`,
    [input.appId, input.endUserId, input.messageId],
  );
  const row = rows[0];
  if (!row?.owned) throw notFound('Message Not Exists.');
  const { owned: _, ...message } = row;
  return message;
}

/**
 * The end user's rating of a message: a new one, a changed one, or (rating null) none any more.
 * @throws HttpError 400 when rating is null and there is nothing to revoke; 404 for a foreign message
 */
export async function setUserFeedback(
  pool: pg.Pool,
  input: EndUserScope & { messageId: string; rating: 'like' | 'dislike' | null; content?: string | null },
): Promise<void> {
  await inTransaction(pool, async (client) => {
    const message = await getOwnMessage(client, input);
    // Locks this user's feedback of the message: two requests at once make one row, not two.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`feedback:${message.id}:${input.endUserId}`]);
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM message_feedbacks WHERE message_id = $1 AND from_source = 'user' AND from_end_user_id = $2`,
      [message.id, input.endUserId],
    );
    const existing = rows[0];
    if (!input.rating) {
      if (!existing) throw badRequest('rating cannot be None when feedback not exists');
      await client.query('DELETE FROM message_feedbacks WHERE id = $1', [existing.id]);
    } else if (existing) {
      await client.query('UPDATE message_feedbacks SET rating = $2, content = $3, updated_at = now() WHERE id = $1', [
        existing.id,
        input.rating,
        input.content ?? null,
      ]);
    } else {
      await client.query(
        `INSERT INTO message_feedbacks (app_id, conversation_id, message_id, rating, content, from_source, from_end_user_id) VALUES ($1, $2, $3, $4, $5, 'user', $6)`,
        [input.appId, message.conversation_id, message.id, input.rating, input.content ?? null, input.endUserId],
      );
    }
  });
}
