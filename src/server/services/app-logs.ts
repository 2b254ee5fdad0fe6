/**
 * The console's app logs (Dify's console/app/conversation.py and message.py): every conversation of
 * an app with its first message, feedback counts and model, in pages; a conversation's messages.
 */
import type pg from 'pg';
import { notFound } from '../http-error.js';
import { consoleMessageJson, messagePage, type FileUrl } from './message-json.js';
import { unixSeconds } from './unix-time.js';

export const LOG_SORTS = ['created_at', '-created_at', 'updated_at', '-updated_at'] as const;

export interface LogFilter {
  tenantId: string;
  appId: string;
  accountId: string;
  keyword?: string;
  /** `YYYY-MM-DD HH:MM` in the account's timezone (Dify's console filter). */
  start?: string;
  end?: string;
  annotationStatus: 'annotated' | 'not_annotated' | 'all';
  messageCountGte?: number;
  page: number;
  limit: number;
  sortBy: (typeof LOG_SORTS)[number];
}

interface LogRow {
  id: string;
  status: string;
  from_source: string;
  from_end_user_id: string | null;
  from_end_user_session_id: string | null;
  from_account_id: string | null;
  from_account_name: string | null;
  name: string;
  summary: string | null;
  introduction: string | null;
  read_at: Date | null;
  created_at: Date;
  updated_at: Date;
  model: unknown;
  pre_prompt: string | null;
  message_count: number;
  user_like: number;
  user_dislike: number;
  admin_like: number;
  admin_dislike: number;
  normal_count: number;
  error_count: number;
  first_inputs: Record<string, unknown> | null;
  first_query: string | null;
  first_message: Array<{ text?: string }> | null;
  first_answer: string | null;
  total: number;
}

const escapeLike = (value: string): string => `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The WHERE clause and parameters of a log filter ($1 app, $2 tenant, then what the filter uses). */
function where(filter: LogFilter, completion: boolean): { sql: string; params: unknown[] } {
  const params: unknown[] = [filter.appId, filter.tenantId];
  const add = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const clauses = [
    'c.app_id = $1',
    'NOT c.is_deleted',
    completion ? `c.mode = 'completion'` : `c.mode <> 'completion'`,
    'EXISTS (SELECT 1 FROM apps a WHERE a.id = c.app_id AND a.tenant_id = $2)',
  ];
  if (filter.keyword) {
    const k = add(escapeLike(filter.keyword));
    const inMessages = `EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND (m.query ILIKE ${k} OR m.answer ILIKE ${k}))`;
    clauses.push(
      completion
        ? inMessages
        : `(${inMessages} OR c.name ILIKE ${k} OR c.introduction ILIKE ${k} OR eu.session_id ILIKE ${k})`,
    );
  }
  // Dify filters chat logs on the sort field, completion logs on created_at.
  const field = completion || filter.sortBy.endsWith('created_at') ? 'c.created_at' : 'c.updated_at';
  const zone =
    filter.start || filter.end
      ? `COALESCE((SELECT timezone FROM accounts WHERE id = ${add(filter.accountId)}), 'UTC')`
      : '';
  if (filter.start) clauses.push(`${field} >= (${add(`${filter.start}:00`)}::timestamp AT TIME ZONE ${zone})`);
  if (filter.end)
    clauses.push(`${field} ${completion ? '<' : '<='} (${add(`${filter.end}:59`)}::timestamp AT TIME ZONE ${zone})`);
  // No annotations are kept in this version: "annotated" is an empty list.
  if (filter.annotationStatus === 'annotated') clauses.push('false');
  if (filter.messageCountGte)
    clauses.push(`(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) >= ${add(filter.messageCountGte)}`);
  return { sql: clauses.join(' AND '), params };
}

const ORDER: Record<LogFilter['sortBy'], string> = {
  created_at: 'c.created_at ASC, c.id ASC',
  '-created_at': 'c.created_at DESC, c.id DESC',
  updated_at: 'c.updated_at ASC, c.id ASC',
  '-updated_at': 'c.updated_at DESC, c.id DESC',
};

async function logPage(pool: pg.Pool, filter: LogFilter, completion: boolean): Promise<LogRow[]> {
  const w = where(filter, completion);
  const feedback = (source: string, rating: string) =>
    `(SELECT count(*)::int FROM message_feedbacks f WHERE f.conversation_id = c.id AND f.from_source = '${source}' AND f.rating = '${rating}')`;
  const first = (column: string) =>
    `(SELECT m.${column} FROM messages m WHERE m.conversation_id = c.id ORDER BY m.created_at, m.id LIMIT 1)`;
  const { rows } = await pool.query<LogRow>(
    `SELECT c.id, c.status, c.from_source, c.from_end_user_id, eu.session_id AS from_end_user_session_id, c.from_account_id, ac.name AS from_account_name,
            c.name, c.summary, c.introduction, c.read_at, c.created_at, c.updated_at,
            COALESCE(mc.configs -> 'model', mc.model) AS model, COALESCE(mc.configs ->> 'pre_prompt', mc.pre_prompt) AS pre_prompt,
            (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS message_count,
            ${feedback('user', 'like')} AS user_like, ${feedback('user', 'dislike')} AS user_dislike,
            ${feedback('admin', 'like')} AS admin_like, ${feedback('admin', 'dislike')} AS admin_dislike,
            (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id AND m.status = 'normal') AS normal_count,
            (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id AND m.status = 'error') AS error_count,
            ${first('inputs')} AS first_inputs, ${first('query')} AS first_query, ${first('message')} AS first_message, ${first('answer')} AS first_answer,
            count(*) OVER ()::int AS total
       FROM conversations c
       LEFT JOIN end_users eu ON eu.id = c.from_end_user_id
       LEFT JOIN accounts ac ON ac.id = c.from_account_id
       LEFT JOIN app_model_configs mc ON mc.id = c.app_model_config_id
      WHERE ${w.sql}
      ORDER BY ${completion ? ORDER['-created_at'] : ORDER[filter.sortBy]}
      LIMIT ${filter.limit} OFFSET ${(filter.page - 1) * filter.limit}`,
    w.params,
  );
  return rows;
}

/** A page past the last one still tells the total (a window count needs a row). */
async function countAll(pool: pg.Pool, filter: LogFilter, completion: boolean): Promise<number> {
  const w = where(filter, completion);
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM conversations c LEFT JOIN end_users eu ON eu.id = c.from_end_user_id WHERE ${w.sql}`,
    w.params,
  );
  return rows[0]?.n ?? 0;
}

const base = (r: LogRow) => ({
  id: r.id,
  status: r.status,
  from_source: r.from_source,
  from_end_user_id: r.from_end_user_id,
  from_end_user_session_id: r.from_end_user_session_id,
  from_account_id: r.from_account_id,
  from_account_name: r.from_account_name,
});
const stats = (r: LogRow) => ({
  user_feedback_stats: { like: r.user_like, dislike: r.user_dislike },
  admin_feedback_stats: { like: r.admin_like, dislike: r.admin_dislike },
});
const times = (r: LogRow) => ({
  read_at: unixSeconds(r.read_at),
  created_at: unixSeconds(r.created_at),
  updated_at: unixSeconds(r.updated_at),
});

async function paginate(
  pool: pg.Pool,
  filter: LogFilter,
  completion: boolean,
  json: (row: LogRow) => Record<string, unknown>,
) {
  const rows = await logPage(pool, filter, completion);
  const total = rows[0]?.total ?? (await countAll(pool, filter, completion));
  return {
    page: filter.page,
    limit: filter.limit,
    total,
    has_more: filter.page * filter.limit < total,
    data: rows.map(json),
  };
}

/** GET /apps/:id/chat-conversations (Dify's conversation_with_summary_pagination_fields). */
export function chatConversationLogs(pool: pg.Pool, filter: LogFilter) {
  return paginate(pool, filter, false, (r) => ({
    ...base(r),
    name: r.name,
    summary: r.summary || r.first_query || '',
    ...times(r),
    annotated: false,
    model_config: { model: r.model ?? null, pre_prompt: r.pre_prompt },
    message_count: r.message_count,
    ...stats(r),
    status_count: { success: r.normal_count, failed: r.error_count, partial_success: 0 },
  }));
}

/** GET /apps/:id/completion-conversations (Dify's conversation_pagination_fields). */
export function completionConversationLogs(pool: pg.Pool, filter: LogFilter) {
  return paginate(pool, filter, true, (r) => ({
    ...base(r),
    ...times(r),
    annotation: null,
    model_config: { model: r.model ?? null, pre_prompt: r.pre_prompt },
    ...stats(r),
    message:
      r.first_query === null
        ? null
        : {
            inputs: r.first_inputs ?? {},
            query: r.first_query,
            message: r.first_message?.[0]?.text ?? '',
            answer: r.first_answer ?? '',
          },
  }));
}

/**
 * GET /apps/:id/chat-messages?conversation_id= — a page of any conversation of the app, first_id
 * paging, newest page first, each page oldest first.
 * @throws HttpError 404 for an unknown or deleted conversation, or an unknown first_id
 */
export async function conversationMessageLogs(
  pool: pg.Pool,
  input: { appId: string; conversationId: string; firstId?: string; limit: number; fileUrl?: FileUrl },
) {
  const { rows } = await pool.query<{ owned: boolean }>(
    // By its key alone, the scope checked on the row (docs/ARCHITECTURE.md, "Lookups by key").
    'SELECT (app_id = $2 AND NOT is_deleted) AS owned FROM conversations WHERE id = $1',
    [input.conversationId, input.appId],
  );
  if (!rows[0]?.owned) throw notFound('Conversation Not Exists.');
  const page = await messagePage(pool, input, consoleMessageJson);
  if (!page) throw notFound('First message not found');
  return page;
}
