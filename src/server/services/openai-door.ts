/**
 * The OpenAI-compatible door's work: which app (or embedding model) a request's `model` names, the
 * Dify conversation an OpenAI transcript continues, its images as Dify files, and the generation
 * itself through the same generators as `/v1/chat-messages` (same rows, stop flags, memory).
 */
import type pg from 'pg';
import {
  CHAT_MODES,
  generateChat,
  generateCompletion,
  resolveEndUser,
  type AppRef,
  type FileMapping,
  type Generation,
  type GeneratorDeps,
} from '../../apps/index.js';
import { loadHistory } from '../../apps/memory.js';
import { loadAppConfig } from '../../apps/model-config/index.js';
import { coveredTurns, modelObject, type Transcript } from '../../apps/openai/index.js';
import type { HistoryTurn } from '../../apps/prompt.js';
import type { ModelRuntimeService } from '../../model-runtime/index.js';
import { HttpError } from '../http-error.js';
import type { FileStorage } from './file-storage.js';
import { unixSeconds } from './unix-time.js';
import { saveUpload, type UploadLimits } from './upload-files.js';

export interface DoorApp {
  id: string;
  name: string;
  mode: string;
  created: number;
}

const modelNotFound = (model: string): HttpError =>
  new HttpError(404, 'model_not_found', `The model \`${model}\` does not exist or you do not have access to it.`);

/** The key's app; `model` must name it (its id or its exact name). */
export async function appOfModel(pool: pg.Pool, app: AppRef, model: string): Promise<DoorApp> {
  const { rows } = await pool.query<{ name: string; created_at: Date }>(
    'SELECT name, created_at FROM apps WHERE id = $1',
    [app.appId],
  );
  const row = rows[0];
  if (!row || (model !== app.appId && model !== row.name)) throw modelNotFound(model);
  return { id: app.appId, name: row.name, mode: app.mode, created: unixSeconds(row.created_at) };
}

/** The workspace's active text-embedding models as [provider, model]. */
async function embeddingModels(
  runtime: ModelRuntimeService,
  tenantId: string,
): Promise<Array<{ provider: string; model: string }>> {
  const providers = await runtime.console.modelsOfType(tenantId, 'text-embedding');
  return providers.flatMap((p) =>
    p.models.filter((m) => m.status === 'active').map((m) => ({ provider: p.provider, model: m.model })),
  );
}

/** `GET /v1/models`: the key's app, then the workspace's text-embedding models (for `/v1/embeddings`). */
export async function listModels(
  deps: { pool: pg.Pool; runtime: ModelRuntimeService },
  app: AppRef,
): Promise<Record<string, unknown>> {
  const { rows } = await deps.pool.query<{ created_at: Date }>('SELECT created_at FROM apps WHERE id = $1', [
    app.appId,
  ]);
  const created = rows[0] ? unixSeconds(rows[0].created_at) : 0;
  const embeddings = await embeddingModels(deps.runtime, app.tenantId);
  return {
    object: 'list',
    data: [modelObject(app.appId, created, 'dify'), ...embeddings.map((e) => modelObject(e.model, 0, e.provider))],
  };
}

/**
 * The embedding model `model` names: one of the workspace's (`name` or `provider/name`), or the app
 * itself for the workspace's default text-embedding model.
 */
export async function embeddingModelOf(
  deps: { pool: pg.Pool; runtime: ModelRuntimeService },
  app: AppRef,
  model: string,
): Promise<{ provider: string; model: string }> {
  const all = await embeddingModels(deps.runtime, app.tenantId);
  const named = all.find((e) => e.model === model || `${e.provider}/${e.model}` === model);
  if (named) return named;
  const isApp = await appOfModel(deps.pool, app, model).then(
    () => true,
    () => false,
  );
  const fallback = isApp ? await deps.runtime.defaultModel(app.tenantId, 'text-embedding') : undefined;
  if (fallback) return fallback;
  if (isApp)
    throw new HttpError(
      404,
      'model_not_found',
      'The workspace has no text-embedding model. Add one in Settings → Model Provider.',
    );
  throw modelNotFound(model);
}

/**
 * The stored conversation of this end user that the transcript continues: one whose exchanges are
 * the transcript's last ones (the newest such conversation). The transcript's earlier exchanges
 * that it does not hold are given back as `priorTurns` (in the prompt, not stored).
 */
export async function conversationOfTranscript(
  pool: pg.Pool,
  input: { appId: string; endUserId: string; turns: HistoryTurn[] },
): Promise<{ conversationId: string | null; priorTurns: HistoryTurn[] }> {
  const last = input.turns.at(-1);
  if (!last) return { conversationId: null, priorTurns: [] };
  // Candidates: this user's conversations whose latest exchange (as history counts them) is the
  // transcript's last one, newest first; then their whole history is compared. The door writes its
  // conversations from the API (`from_source`): with it, the index walks this user's conversations
  // only, not every conversation of the app.
  const { rows } = await pool.query<{ conversation_id: string }>(
    `SELECT c.id AS conversation_id FROM conversations c
       JOIN LATERAL (SELECT query, answer FROM messages WHERE conversation_id = c.id AND answer <> '' AND status <> 'error' ORDER BY created_at DESC LIMIT 1) m ON true
      WHERE c.app_id = $1 AND c.from_source = 'api' AND c.from_end_user_id = $2 AND NOT c.is_deleted
        AND btrim(m.query) = btrim($3) AND btrim(m.answer) = btrim($4)
      ORDER BY c.updated_at DESC LIMIT 10`,
    [input.appId, input.endUserId, last.query, last.answer],
  );
  for (const { conversation_id } of rows) {
    const covered = coveredTurns(input.turns, await loadHistory(pool, conversation_id));
    if (covered)
      return { conversationId: conversation_id, priorTurns: input.turns.slice(0, input.turns.length - covered) };
  }
  return { conversationId: null, priorTurns: input.turns };
}

const DATA_URL = /^data:(image\/[a-z0-9.+-]+);base64,(.*)$/is;

/** The images as Dify files: URLs as they are, data: URLs stored as uploads (when the app takes files). */
async function imageFiles(deps: DoorDeps, app: AppRef, endUserId: string, images: string[]): Promise<FileMapping[]> {
  if (!images.some((url) => DATA_URL.test(url)))
    return images.map((url) => ({ type: 'image', transfer_method: 'remote_url', url }));
  // Nothing is stored for an app that ignores files (Dify ignores them when uploads are off).
  const upload = (await loadAppConfig(deps.generator.pool, app.appId))?.config?.file_upload as
    | { enabled?: boolean; image?: { enabled?: boolean } }
    | undefined;
  if (!upload?.enabled && !upload?.image?.enabled) return [];
  const files: FileMapping[] = [];
  for (const url of images) {
    const data = DATA_URL.exec(url);
    if (!data) {
      files.push({ type: 'image', transfer_method: 'remote_url', url });
      continue;
    }
    const mimetype = data[1]!.toLowerCase();
    const extension = mimetype.split('/')[1]!.replace('jpeg', 'jpg').replace('svg+xml', 'svg');
    const saved = await saveUpload(
      { pool: deps.generator.pool, storage: deps.storage, limits: deps.limits },
      {
        tenantId: app.tenantId,
        endUserId,
        filename: `image.${extension}`,
        mimetype,
        content: Buffer.from(data[2]!, 'base64'),
      },
    );
    files.push({ type: 'image', transfer_method: 'local_file', upload_file_id: saved.id });
  }
  return files;
}

export interface DoorDeps {
  generator: GeneratorDeps;
  storage: FileStorage;
  limits: UploadLimits;
}

export interface DoorRequest {
  app: AppRef;
  transcript: Transcript;
  /** OpenAI's `user` (Dify's end user). */
  user?: string | null;
  /** Continue this Dify conversation (body `conversation_id` or `X-Dify-Conversation-Id`). */
  conversationId?: string | null;
  inputs?: Record<string, unknown> | null;
  signal: AbortSignal;
  /** Whether the caller asked for a stream: a blocking answer asks the model without one. */
  stream: boolean;
}

/** The app's generation for an OpenAI request: chat apps continue a conversation, completion apps answer the query. */
export async function startDoorGeneration(deps: DoorDeps, request: DoorRequest): Promise<Generation> {
  const { app, transcript } = request;
  const user = request.user ?? '';
  const endUser = await resolveEndUser(deps.generator.pool, { tenantId: app.tenantId, appId: app.appId, user });
  const files = await imageFiles(deps, app, endUser.id, transcript.images);
  const common = {
    app,
    user,
    inputs: request.inputs ?? {},
    query: transcript.query,
    files,
    system: transcript.system || undefined,
    signal: request.signal,
    stream: request.stream,
  };
  if (!(CHAT_MODES as readonly string[]).includes(app.mode)) return generateCompletion(deps.generator, common);
  const continued = request.conversationId
    ? { conversationId: request.conversationId, priorTurns: [] }
    : await conversationOfTranscript(deps.generator.pool, {
        appId: app.appId,
        endUserId: endUser.id,
        turns: transcript.turns,
      });
  return generateChat(deps.generator, {
    ...common,
    conversationId: continued.conversationId,
    priorTurns: continued.priorTurns,
  });
}
