/**
 * The conversation and message rows of a generation (migration 0002, Dify's models): the message
 * row is written before the model is called and completed after, whatever happened (answer, tokens,
 * prices, latency, status, error), so no call leaves without its row.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ALONE, createCoalescer } from '../db/coalesce.js';
import type { LlmUsage, PromptMessage } from '../model-runtime/types.js';
import { conversationCompleted, conversationNotFound } from './errors.js';
import { StaleAppConfig } from './model-config/cache.js';
import type { MessageFile } from './files.js';
import type { Inputs } from './inputs.js';
import { historyRows } from './memory.js';
import type { HistoryTurn } from './prompt.js';

/** Dify's parent of service API messages (linear history). */
export const UUID_NIL = '00000000-0000-0000-0000-000000000000';
export const DEFAULT_CONVERSATION_NAME = 'New conversation';

export interface ConversationRow {
  id: string;
  appModelConfigId: string | null;
  inputs: Inputs;
  isNew: boolean;
  /** Its earlier exchanges that have an answer, oldest first. */
  history: HistoryTurn[];
}

/**
 * The caller's conversation of this app.
 * @throws AppRequestError 404 when it is not theirs, deleted or unknown; `conversation_completed` when ended
 */
export async function findConversation(
  db: pg.Pool,
  input: { appId: string; endUserId: string; conversationId: string },
): Promise<ConversationRow> {
  const { rows } = await db.query<{
    id: string;
    app_model_config_id: string | null;
    inputs: Inputs;
    status: string;
    owned: boolean;
    history: HistoryTurn[] | null;
  }>({
    name: 'apps.conversation.find',
    // By its key alone, the scope checked on the row (docs/ARCHITECTURE.md, "Lookups by key"); its
    // history comes along, oldest first (one round trip before the message is written, not two).
    text: `SELECT c.id, c.app_model_config_id, c.inputs, c.status, c.owned,
                  CASE WHEN c.owned THEN
                    (SELECT json_agg(json_build_object('query', h.query, 'answer', h.answer) ORDER BY h.created_at)
                       FROM (${historyRows('c.id')}) h)
                  END AS history
             FROM (SELECT *, (app_id = $2 AND from_source = 'api' AND from_end_user_id = $3 AND NOT is_deleted) AS owned
                     FROM conversations WHERE id = $1) c`,
    values: [input.conversationId, input.appId, input.endUserId],
  });
  const row = rows[0];
  if (!row?.owned) throw conversationNotFound();
  if (row.status !== 'normal') throw conversationCompleted();
  return {
    id: row.id,
    appModelConfigId: row.app_model_config_id,
    inputs: row.inputs ?? {},
    isNew: false,
    history: row.history ?? [],
  };
}

export interface NewRecords {
  appId: string;
  mode: 'chat' | 'completion';
  appModelConfigId: string;
  provider: string;
  model: string;
  endUserId: string;
  inputs: Inputs;
  query: string;
  introduction: string;
  /** An existing conversation, or undefined to start one. */
  conversation?: ConversationRow;
  /** The user's files of the message. */
  files?: MessageFile[];
}

export interface CreatedRecords {
  conversationId: string;
  messageId: string;
  createdAt: Date;
}

/** A pool's writers of the rows of generations, each sending the calls of one event-loop turn together. */
interface Writers {
  start: (input: NewRecords) => Promise<CreatedRecords>;
  next: (input: NewRecords) => Promise<CreatedRecords>;
  finish: (outcome: MessageOutcome) => Promise<void>;
}
const writers = new WeakMap<pg.Pool, Writers>();

function writersOf(db: pg.Pool): Writers {
  let w = writers.get(db);
  if (!w) {
    const one = (single: NewRecords) => writeRecords(db, single);
    w = {
      start: createCoalescer({ one, many: (many) => writeBatch(db, START_BATCH, many) }),
      next: createCoalescer({ one, many: (many) => writeBatch(db, CONTINUE_BATCH, many) }),
      finish: createCoalescer({ one: (outcome) => finishOne(db, outcome), many: (many) => finishMany(db, many) }),
    };
    writers.set(db, w);
  }
  return w;
}

/**
 * Writes the conversation (when new), the message row and its files in one statement (atomic, one
 * round trip); returns their ids and the creation time. Messages without files made during one turn
 * of the event loop are written together, one statement for the new conversations and one for the
 * continued ones (createCoalescer).
 * @throws StaleAppConfig when the app no longer points at `appModelConfigId` (a new conversation) or
 *   is no longer in service: nothing is written
 * @throws AppRequestError 404 when the conversation vanished meanwhile
 */
export async function createRecords(db: pg.Pool, input: NewRecords): Promise<CreatedRecords> {
  if (input.files?.length) return writeRecords(db, input);
  const writer = writersOf(db);
  return input.conversation ? writer.next(input) : writer.start(input);
}

/** A message of a batch with the ids it will have. */
interface BatchRow {
  input: NewRecords;
  ids: Omit<CreatedRecords, 'createdAt'>;
}

/** A column of a batched statement's rows `v`: its name, its PostgreSQL type and each row's value. */
type Column<R> = [name: string, type: string, value: (row: R) => unknown];

/** The rows `v` of a batched statement: one array parameter per column, in the columns' order. */
const rowsOf = <R>(columns: Array<Column<R>>): string =>
  `unnest(${columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')}) AS v(${columns.map(([name]) => name).join(', ')})`;

/** Each column's values over `rows`: the parameters of `rowsOf(columns)`. */
const valuesOf = <R>(columns: Array<Column<R>>, rows: R[]): unknown[][] =>
  columns.map(([, , value]) => rows.map(value));

const COLUMN = {
  appId: ['app_id', 'uuid', (r) => r.input.appId],
  configId: ['config_id', 'uuid', (r) => r.input.appModelConfigId],
  provider: ['provider', 'text', (r) => r.input.provider],
  model: ['model', 'text', (r) => r.input.model],
  mode: ['mode', 'text', (r) => r.input.mode],
  inputs: ['inputs', 'jsonb', (r) => JSON.stringify(r.input.inputs)],
  query: ['query', 'text', (r) => r.input.query],
  endUser: ['end_user', 'uuid', (r) => r.input.endUserId],
  introduction: ['introduction', 'text', (r) => r.input.introduction],
  conversationId: ['conversation_id', 'uuid', (r) => r.ids.conversationId],
  messageId: ['message_id', 'uuid', (r) => r.ids.messageId],
} satisfies Record<string, Column<BatchRow>>;

/**
 * A batched statement. One that joins a list of keys to a table that grows is sent without a name:
 * PostgreSQL plans it afresh with the list and the table as they are (docs/ARCHITECTURE.md, "Batches
 * by key"). A named statement keeps the plan it got while the table was small: a scan of every row.
 * What a name told (which statement this is) its text says in a leading comment: `statementTag`.
 * One that reads no such table (it only inserts, checking the app by its key) keeps its `name`: it is
 * parsed and planned once per connection.
 */
interface Batch {
  columns: Array<Column<BatchRow>>;
  text: string;
  name?: string;
}

/** `text` with `tag` in a leading comment. */
const tagged = (tag: string, text: string): string => `/* ${tag} */ ${text}`;

/** The tag of a statement that carries one (`tagged`), e.g. `apps.message.finish-many`. */
export const statementTag = (text: string): string | undefined => /^\/\* ([\w.-]+) \*\//.exec(text)?.[1];

/** A batched statement: its rows `v`, then `rest`; `named` when its plan may be kept (see Batch). */
const batch = (tag: string, columns: Array<Column<BatchRow>>, rest: string, named = false): Batch => ({
  columns,
  text: tagged(
    tag,
    `WITH v AS (SELECT * FROM ${rowsOf(columns)}),
     ${rest}`,
  ),
  ...(named ? { name: tag } : {}),
});

// The message of each `ok` row whose conversation `c` wrote, in both batched statements. Each row keeps
// the guard of the single statement: a row whose app left service (or, for a new conversation, moved
// to another config) or whose conversation is gone is not written, and is sent again alone, to fail
// there with its own error.
const BATCH_MESSAGES = `m AS (INSERT INTO messages (id, app_id, conversation_id, parent_message_id, model_provider, model_id, inputs, query, message, answer, currency, status,
                                 invoke_from, from_source, from_end_user_id, message_unit_price, answer_unit_price)
           SELECT ok.message_id, ok.app_id, c.id, '${UUID_NIL}'::uuid, ok.provider, ok.model, ok.inputs, ok.query, '[]'::jsonb, '', 'USD', 'normal', 'service-api', 'api', ok.end_user, 0, 0
             FROM ok JOIN c ON c.id = ok.conversation_id
           RETURNING id, created_at)
SELECT m.id, m.created_at FROM m`;

/**
 * New conversations and their first messages. It reads only `apps`, by key (the rows it writes are
 * new): named, its plan kept. Planning it afresh had cost PostgreSQL about 0.07 ms per message.
 */
const START_BATCH = batch(
  'apps.records.start-many',
  [
    COLUMN.appId,
    COLUMN.configId,
    COLUMN.provider,
    COLUMN.model,
    COLUMN.mode,
    COLUMN.inputs,
    COLUMN.query,
    COLUMN.endUser,
    COLUMN.introduction,
    COLUMN.conversationId,
    COLUMN.messageId,
  ],
  `ok AS (SELECT v.* FROM v JOIN apps a ON a.id = v.app_id AND a.status = 'normal' AND a.app_model_config_id = v.config_id),
     c AS (INSERT INTO conversations (id, app_id, app_model_config_id, model_provider, model_id, mode, name, inputs, introduction, status, invoke_from, from_source, from_end_user_id, dialogue_count)
           SELECT conversation_id, app_id, config_id, provider, model, mode, '${DEFAULT_CONVERSATION_NAME}', inputs, introduction, 'normal', 'service-api', 'api', end_user, 1 FROM ok
           RETURNING id),
     ${BATCH_MESSAGES}`,
  true,
);

/** The next messages of existing conversations (each conversation's dialogue count goes up by one). */
const CONTINUE_BATCH = batch(
  'apps.records.continue-many',
  [
    COLUMN.appId,
    COLUMN.provider,
    COLUMN.model,
    COLUMN.inputs,
    COLUMN.query,
    COLUMN.endUser,
    COLUMN.conversationId,
    COLUMN.messageId,
  ],
  `ok AS (SELECT v.* FROM v JOIN apps a ON a.id = v.app_id AND a.status = 'normal'),
     c AS (UPDATE conversations SET dialogue_count = dialogue_count + 1, updated_at = now()
             FROM ok WHERE conversations.id = ok.conversation_id
           RETURNING conversations.id),
     ${BATCH_MESSAGES}`,
);

async function writeBatch(
  db: pg.Pool,
  statement: Batch,
  inputs: NewRecords[],
): Promise<Array<CreatedRecords | typeof ALONE>> {
  const ids = inputs.map((input) => ({
    conversationId: input.conversation?.id ?? randomUUID(),
    messageId: randomUUID(),
  }));
  // Two messages of one conversation in one statement would share a creation time (the order of its
  // history): the later ones go alone.
  const rows = inputs
    .map((input, at) => ({ input, ids: ids[at]! }))
    .filter((row, at) => ids.findIndex((other) => other.conversationId === row.ids.conversationId) === at);
  const { rows: written } = await db.query<{ id: string; created_at: Date }>({
    ...(statement.name ? { name: statement.name } : {}),
    text: statement.text,
    values: valuesOf(statement.columns, rows),
  });
  const createdAt = new Map(written.map((r) => [r.id, r.created_at]));
  return ids.map((i) => {
    const at = createdAt.get(i.messageId);
    return at ? { ...i, createdAt: at } : ALONE;
  });
}

/** The single statement: any conversation, any files. */
async function writeRecords(db: pg.Pool, input: NewRecords): Promise<CreatedRecords> {
  const files = input.files ?? [];
  const params: unknown[] = [
    input.appId,
    input.provider,
    input.model,
    JSON.stringify(input.inputs),
    input.query,
    input.endUserId,
    UUID_NIL,
    files.map((f) => f.type),
    files.map((f) => f.transferMethod),
    files.map((f) => f.url),
    files.map((f) => f.uploadFileId),
  ];
  // The guard `ok`: the app is still in service and, for a new conversation, still points at the
  // config the prompt was built from (a remembered config may have been replaced meanwhile).
  let conversation: string;
  if (input.conversation) {
    params.push(input.conversation.id);
    conversation = `ok AS (SELECT 1 FROM apps WHERE id = $1 AND status = 'normal'),
     c AS (UPDATE conversations SET dialogue_count = dialogue_count + 1, updated_at = now()
            WHERE id = $12 AND EXISTS (SELECT 1 FROM ok) RETURNING id)`;
  } else {
    params.push(input.appModelConfigId, input.mode, DEFAULT_CONVERSATION_NAME, input.introduction);
    conversation = `ok AS (SELECT 1 FROM apps WHERE id = $1 AND status = 'normal' AND app_model_config_id = $12::uuid),
     c AS (INSERT INTO conversations (app_id, app_model_config_id, model_provider, model_id, mode, name, inputs, introduction, status, invoke_from, from_source, from_end_user_id, dialogue_count)
           SELECT $1::uuid, $12::uuid, $2::text, $3::text, $13::text, $14::text, $4::jsonb, $15::text, 'normal', 'service-api', 'api', $6::uuid, 1
            WHERE EXISTS (SELECT 1 FROM ok) RETURNING id)`;
  }
  // Named (one per form): the statement every generation writes is parsed and planned once per connection.
  const { rows } = await db.query<{ ok: boolean; id: string | null; created_at: Date; conversation_id: string }>({
    name: input.conversation ? 'apps.records.continue' : 'apps.records.start',
    text: `WITH ${conversation},
     m AS (INSERT INTO messages (app_id, conversation_id, parent_message_id, model_provider, model_id, inputs, query, message, answer, currency, status,
                                 invoke_from, from_source, from_end_user_id, message_unit_price, answer_unit_price)
           SELECT $1::uuid, c.id, $7::uuid, $2::text, $3::text, $4::jsonb, $5::text, '[]'::jsonb, '', 'USD', 'normal', 'service-api', 'api', $6::uuid, 0, 0 FROM c
           RETURNING id, created_at, conversation_id),
     f AS (INSERT INTO message_files (message_id, type, transfer_method, url, belongs_to, upload_file_id, created_by_role, created_by)
           SELECT m.id, t.type, t.method, t.url, 'user', t.upload, 'end_user', $6::uuid FROM m, unnest($8::text[], $9::text[], $10::text[], $11::uuid[]) AS t(type, method, url, upload))
     SELECT EXISTS (SELECT 1 FROM ok) AS ok, m.id, m.created_at, m.conversation_id FROM (SELECT 1) AS one LEFT JOIN m ON true`,
    values: params,
  });
  const row = rows[0];
  // The app's config was replaced or the app taken out of service since its config was read.
  if (!row?.ok) throw new StaleAppConfig(input.appId);
  // No message: the conversation vanished between the check and now (deleted meanwhile).
  if (!row.id) throw conversationNotFound();
  return { conversationId: row.conversation_id, messageId: row.id, createdAt: row.created_at };
}

/** How a generation ended, as the message row keeps it. */
export type MessageStatus = 'normal' | 'error' | 'stopped';

export interface MessageOutcome {
  messageId: string;
  prompt: PromptMessage[];
  answer: string;
  usage: LlmUsage;
  latencySeconds: number;
  status: MessageStatus;
  error: string | null;
  metadata: Record<string, unknown>;
}

const decimal = (value: string): string => (/^-?\d+(\.\d+)?$/.test(value) ? value : '0');

/** Inline image data is cut as Dify cuts it when saving a prompt. */
const shortData = (url: string): string =>
  url.startsWith('data:') ? `${url.slice(0, 10)}...[TRUNCATED]...${url.slice(-10)}` : url;

/** Dify's `prompt_messages_to_prompt_for_saving`: role, text and files of each message. */
function promptForSaving(prompt: PromptMessage[]): unknown[] {
  return prompt.map((m) => ({
    role: m.role,
    // PostgreSQL cannot store U+0000 (a model's answer in the history may hold one).
    text: (typeof m.content === 'string'
      ? m.content
      : m.content.map((p) => (p.type === 'text' ? p.text : '')).join('')
    ).replace(/\u0000/g, ''),
    files:
      typeof m.content === 'string'
        ? []
        : m.content.flatMap((p) => (p.type === 'image' ? [{ type: 'image', data: shortData(p.url) }] : [])),
  }));
}

/** The message columns a finished generation writes, `id` first, with their types and values. */
const FINISH_COLUMNS: Array<Column<MessageOutcome>> = [
  ['id', 'uuid', (o) => o.messageId],
  ['message', 'jsonb', (o) => JSON.stringify(promptForSaving(o.prompt))],
  ['message_tokens', 'integer', (o) => o.usage.prompt_tokens],
  ['message_unit_price', 'numeric', (o) => decimal(o.usage.prompt_unit_price)],
  ['message_price_unit', 'numeric', (o) => decimal(o.usage.prompt_price_unit)],
  ['answer', 'text', (o) => o.answer.replace(/\u0000/g, '')],
  ['answer_tokens', 'integer', (o) => o.usage.completion_tokens],
  ['answer_unit_price', 'numeric', (o) => decimal(o.usage.completion_unit_price)],
  ['answer_price_unit', 'numeric', (o) => decimal(o.usage.completion_price_unit)],
  ['provider_response_latency', 'double precision', (o) => o.latencySeconds],
  ['total_price', 'numeric', (o) => decimal(o.usage.total_price)],
  ['currency', 'text', (o) => o.usage.currency || 'USD'],
  ['status', 'text', (o) => o.status],
  ['error', 'text', (o) => o.error?.replace(/\u0000/g, '') ?? null],
  ['message_metadata', 'jsonb', (o) => JSON.stringify(o.metadata)],
];
const FINISHED = FINISH_COLUMNS.slice(1).map(([name]) => name);

// The message alone, as Dify's _save_message: the conversation's updated_at moved when the message
// was created (createRecords), so a finished answer rewrites no conversation row.
const FINISH_ONE = `UPDATE messages SET ${FINISHED.map((c, i) => `${c} = $${i + 2}`).join(', ')}, updated_at = now()
                     WHERE id = $1`;
// Several answers that finished together: one statement, the values as one array per column (a batch
// by key: sent without a name, see Batch).
const FINISH_MANY = tagged(
  'apps.message.finish-many',
  `UPDATE messages AS m SET ${FINISHED.map((c) => `${c} = v.${c}`).join(', ')}, updated_at = now()
     FROM ${rowsOf(FINISH_COLUMNS)}
    WHERE m.id = v.id`,
);

/** One finishing statement, retried once: the row must not stay half-written. */
async function finishOne(db: pg.Pool, outcome: MessageOutcome): Promise<void> {
  const query = { name: 'apps.message.finish', text: FINISH_ONE, values: valuesOf(FINISH_COLUMNS, [outcome]).flat() };
  try {
    await db.query(query);
  } catch {
    await db.query(query);
  }
}

async function finishMany(db: pg.Pool, outcomes: MessageOutcome[]): Promise<undefined[]> {
  await db.query({ text: FINISH_MANY, values: valuesOf(FINISH_COLUMNS, outcomes) });
  return outcomes.map(() => undefined);
}

/**
 * Completes the message row. Answers that finish during one turn of the event loop are written
 * together (createCoalescer): a busy process sends one UPDATE for many.
 */
export async function finishMessage(db: pg.Pool, outcome: MessageOutcome): Promise<void> {
  await writersOf(db).finish(outcome);
}
