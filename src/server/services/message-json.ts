import type pg from 'pg';
import { unixSeconds } from './unix-time.js';

/** A message row with what its JSON shapes need. */
export interface MessageRow {
  id: string;
  conversation_id: string;
  parent_message_id: string | null;
  inputs: Record<string, unknown>;
  query: string;
  message: unknown;
  message_tokens: number;
  answer: string;
  answer_tokens: number;
  provider_response_latency: number;
  from_source: string;
  from_end_user_id: string | null;
  from_account_id: string | null;
  message_metadata: Record<string, unknown> | null;
  status: string;
  error: string | null;
  created_at: Date;
}

export const MESSAGE_COLUMNS = `m.id, m.conversation_id, m.parent_message_id, m.inputs, m.query, m.message, m.message_tokens, m.answer,
  m.answer_tokens, m.provider_response_latency, m.from_source, m.from_end_user_id, m.from_account_id, m.message_metadata,
  m.status, m.error, m.created_at`;

interface FileRow {
  message_id: string;
  id: string;
  type: string;
  transfer_method: string;
  url: string | null;
  belongs_to: string | null;
  upload_file_id: string | null;
  name: string | null;
  mime_type: string | null;
  size: string | null;
}

interface FeedbackRow {
  message_id: string;
  rating: string;
  content: string | null;
  from_source: string;
  from_end_user_id: string | null;
  from_account_id: string | null;
}

/** Makes the link a client fetches an uploaded file with (signed, see file-urls.ts). */
export type FileUrl = (uploadFileId: string) => string;

/** Dify's `message_file_fields`: a remote file's own URL, an upload's signed preview link. */
function fileJson(f: FileRow, fileUrl?: FileUrl) {
  return {
    id: f.id,
    filename: f.name ?? '',
    type: f.type,
    url: f.url ?? (f.upload_file_id && fileUrl ? fileUrl(f.upload_file_id) : null),
    mime_type: f.mime_type,
    size: f.size === null ? null : Number(f.size),
    transfer_method: f.transfer_method,
    belongs_to: f.belongs_to ?? 'user',
    upload_file_id: f.upload_file_id,
  };
}

/** Files and feedback of a page of messages, two queries for the whole page. */
async function messageExtras(pool: pg.Pool, ids: string[], fileUrl?: FileUrl) {
  if (ids.length === 0)
    return { files: new Map<string, ReturnType<typeof fileJson>[]>(), feedbacks: new Map<string, FeedbackRow[]>() };
  const [files, feedbacks] = await Promise.all([
    pool.query<FileRow>(
      `SELECT f.message_id, f.id, f.type, f.transfer_method, f.url, f.belongs_to, f.upload_file_id, u.name, u.mime_type, u.size
         FROM message_files f LEFT JOIN upload_files u ON u.id = f.upload_file_id WHERE f.message_id = ANY($1::uuid[]) ORDER BY f.created_at`,
      [ids],
    ),
    pool.query<FeedbackRow>(
      `SELECT message_id, rating, content, from_source, from_end_user_id, from_account_id FROM message_feedbacks WHERE message_id = ANY($1::uuid[]) ORDER BY created_at`,
      [ids],
    ),
  ]);
  const group = <T extends { message_id: string }, U>(rows: T[], map: (row: T) => U) => {
    const out = new Map<string, U[]>();
    for (const row of rows) out.set(row.message_id, [...(out.get(row.message_id) ?? []), map(row)]);
    return out;
  };
  return { files: group(files.rows, (f) => fileJson(f, fileUrl)), feedbacks: group(feedbacks.rows, (f) => f) };
}

type Extras = Awaited<ReturnType<typeof messageExtras>>;

const retrieverResources = (row: MessageRow): unknown[] => {
  const value = row.message_metadata?.retriever_resources;
  return Array.isArray(value) ? value : [];
};

/** The service API's message (GET /messages): the end user's own feedback only. */
export function serviceMessageJson(row: MessageRow, extras: Extras) {
  const own = (extras.feedbacks.get(row.id) ?? []).find((f) => f.from_source === 'user');
  return {
    id: row.id,
    conversation_id: row.conversation_id,
    parent_message_id: row.parent_message_id,
    inputs: row.inputs ?? {},
    query: row.query,
    answer: row.answer,
    message_files: extras.files.get(row.id) ?? [],
    feedback: own ? { rating: own.rating } : null,
    retriever_resources: retrieverResources(row),
    created_at: unixSeconds(row.created_at),
    agent_thoughts: [],
    status: row.status,
    error: row.error,
  };
}

/** The console's message detail (app logs): tokens, latency, every feedback, metadata. */
export function consoleMessageJson(row: MessageRow, extras: Extras) {
  return {
    id: row.id,
    conversation_id: row.conversation_id,
    inputs: row.inputs ?? {},
    query: row.query,
    message: row.message ?? null,
    message_tokens: row.message_tokens,
    answer: row.answer,
    answer_tokens: row.answer_tokens,
    provider_response_latency: row.provider_response_latency,
    from_source: row.from_source,
    from_end_user_id: row.from_end_user_id,
    from_account_id: row.from_account_id,
    feedbacks: (extras.feedbacks.get(row.id) ?? []).map((f) => ({
      rating: f.rating,
      content: f.content,
      from_source: f.from_source,
      from_end_user_id: f.from_end_user_id,
      from_account: null,
    })),
    workflow_run_id: null,
    annotation: null,
    annotation_hit_history: null,
    created_at: unixSeconds(row.created_at),
    agent_thoughts: [],
    message_files: extras.files.get(row.id) ?? [],
    metadata: row.message_metadata ?? {},
    status: row.status,
    error: row.error,
    parent_message_id: row.parent_message_id,
  };
}

/**
 * A page of a conversation's messages before `firstId` (Dify's first_id paging): the newest
 * `limit`, returned oldest first, and whether older ones remain. The caller checked the conversation.
 * @returns undefined when firstId is not a message of the conversation
 */
async function messagesBefore(
  pool: pg.Pool,
  input: { conversationId: string; firstId?: string; limit: number },
): Promise<{ rows: MessageRow[]; hasMore: boolean } | undefined> {
  const params: unknown[] = [input.conversationId];
  let before = '';
  if (input.firstId) {
    const { rowCount } = await pool.query('SELECT 1 FROM messages WHERE conversation_id = $1 AND id = $2', [
      input.conversationId,
      input.firstId,
    ]);
    if (!rowCount) return undefined;
    params.push(input.firstId);
    before = ' AND (m.created_at, m.id) < (SELECT created_at, id FROM messages WHERE id = $2)';
  }
  const { rows } = await pool.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = $1${before} ORDER BY m.created_at DESC, m.id DESC LIMIT ${input.limit + 1}`,
    params,
  );
  return { rows: rows.slice(0, input.limit).reverse(), hasMore: rows.length > input.limit };
}

/**
 * Dify's answer for a page of messages (messagesBefore) with their files and feedback, each shaped
 * by `render` (the service API's or the console's message document).
 * @returns undefined when firstId is not a message of the conversation
 */
export async function messagePage<T>(
  pool: pg.Pool,
  input: { conversationId: string; firstId?: string; limit: number; fileUrl?: FileUrl },
  render: (row: MessageRow, extras: Extras) => T,
): Promise<{ limit: number; has_more: boolean; data: T[] } | undefined> {
  const page = await messagesBefore(pool, input);
  if (!page) return undefined;
  const extras = await messageExtras(
    pool,
    page.rows.map((r) => r.id),
    input.fileUrl,
  );
  return { limit: input.limit, has_more: page.hasMore, data: page.rows.map((row) => render(row, extras)) };
}
