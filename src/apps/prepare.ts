/**
 * Everything a generation needs before the model is called, checked in Dify's order (the errors a
 * client can fix leave as JSON, before any stream starts): the app's model, the end user, the
 * conversation, the inputs against the form, the prompt with history within the context size, and
 * the conversation and message rows.
 */
import type pg from 'pg';
import { retrieveForApp, type RetrieverResource, type VectorStore } from '../knowledge/index.js';
import { ModelRuntimeError, type ModelRuntime } from '../model-runtime/types.js';
import { resolveEndUser, type EndUser } from './end-users.js';
import { AppRequestError, providerNotInitialized } from './errors.js';
import { resolveFiles, type FileMapping, type LoadUpload } from './files.js';
import { prepareInputs, type Inputs } from './inputs.js';
import { fitHistory } from './memory.js';
import {
  loadAppConfig,
  type AppConfigRecord,
  type AppModelConfigDict,
  type ModelSection,
} from './model-config/index.js';
import { renderTemplate, type HistoryTurn, type Prompt } from './prompt.js';
import { createRecords, findConversation, type ConversationRow } from './records.js';

/** The app a request calls (what its key says). */
export interface AppRef {
  appId: string;
  tenantId: string;
  mode: string;
}

export interface GenerateRequest {
  app: AppRef;
  /** The API's `user`. */
  user: string;
  inputs: Inputs;
  query: string;
  /** Chat: continue this conversation. */
  conversationId?: string | null;
  /** Dify's file mappings (used when the app's file upload is enabled). */
  files?: FileMapping[] | null;
  /**
   * Earlier exchanges the server does not keep (e.g. an OpenAI transcript's turns before its stored
   * conversation): put before the conversation's own history in the prompt, never stored.
   */
  priorTurns?: HistoryTurn[];
  /** An instruction added to the app's pre_prompt, as Dify applies pre_prompt (an OpenAI `system` message). */
  system?: string;
  /** Chat: name a new conversation in the worker. @default true */
  autoGenerateName?: boolean;
  /** Fires when the client goes away: the upstream call is aborted, the partial answer kept. */
  signal?: AbortSignal;
  /** false for a blocking answer: the model is not asked to stream either (as Dify). @default true */
  stream?: boolean;
}

export interface Prepared {
  appMode: 'chat' | 'completion';
  taskId: string;
  endUser: EndUser;
  config: AppModelConfigDict;
  model: ModelSection;
  inputs: Inputs;
  query: string;
  prompt: Prompt;
  conversationId: string;
  newConversation: boolean;
  messageId: string;
  createdAt: Date;
  /** What the app's knowledge retrieved (`metadata.retriever_resources`; empty when the app shows no sources). */
  retrieverResources: RetrieverResource[];
  /** Whether the model is asked to stream (GenerateRequest.stream). */
  stream: boolean;
}

/** A model runtime error before the stream: the same code and message, as JSON. */
export function asRequestError(error: unknown): unknown {
  return error instanceof ModelRuntimeError
    ? new AppRequestError(error.code, error.message, error.status, error.kind)
    : error;
}

async function configFor(
  pool: pg.Pool,
  app: AppConfigRecord,
  conversation: ConversationRow | undefined,
): Promise<AppConfigRecord> {
  // A conversation keeps the config it started with (Dify: CONVERSATION_SPECIFIC_CONFIG).
  if (!conversation?.appModelConfigId || conversation.appModelConfigId === app.configId) return app;
  const own = await loadAppConfig(pool, app.appId, { configId: conversation.appModelConfigId });
  return own?.config ? own : app;
}

/** The app's config with `system` after its pre_prompt (a blank line between). */
function withSystem(config: AppModelConfigDict, system: string | undefined): AppModelConfigDict {
  if (!system) return config;
  return { ...config, pre_prompt: config.pre_prompt ? `${config.pre_prompt}\n\n${system}` : system };
}

/** The app must have a model (its current config's). */
export function checkModel(record: AppConfigRecord): ModelSection {
  const model = record.config?.model;
  if (!model)
    throw providerNotInitialized('The app has no model configured. Choose a model in the app’s configuration.');
  return model;
}

/** The end user the request acts for (`user` scopes end users per app). */
export const endUserOf = (pool: pg.Pool, req: GenerateRequest): Promise<EndUser> =>
  resolveEndUser(pool, { tenantId: req.app.tenantId, appId: req.app.appId, user: req.user });

export async function prepareGeneration(
  deps: { pool: pg.Pool; runtime: ModelRuntime; vectors: VectorStore; loadUpload?: LoadUpload },
  appMode: 'chat' | 'completion',
  req: GenerateRequest & { record: AppConfigRecord; endUser: EndUser; taskId: string },
): Promise<Prepared> {
  const appModel = checkModel(req.record);
  const { endUser } = req;
  const conversation =
    appMode === 'chat' && req.conversationId
      ? await findConversation(deps.pool, {
          appId: req.app.appId,
          endUserId: endUser.id,
          conversationId: req.conversationId,
        })
      : undefined;
  const record = await configFor(deps.pool, req.record, conversation);
  const config = withSystem(record.config!, req.system);
  const model = config.model ?? appModel;
  const inputs = conversation ? conversation.inputs : prepareInputs(config.user_input_form, req.inputs);
  const { files, images } = await resolveFiles(deps, { tenantId: req.app.tenantId, config, files: req.files });
  const ref = { tenantId: req.app.tenantId, provider: model.provider, model: model.name };
  let contextSize: number;
  try {
    contextSize = await deps.runtime.contextSize(ref);
  } catch (error) {
    throw asRequestError(error);
  }
  const history = [...(req.priorTurns ?? []), ...(conversation?.history ?? [])];
  // Knowledge: completion apps search with the input named by dataset_query_variable (Dify).
  const retrievalQuery =
    appMode === 'completion' && config.dataset_query_variable
      ? String(inputs[config.dataset_query_variable] ?? '')
      : req.query;
  const retrieved = await retrieveForApp(
    { pool: deps.pool, runtime: deps.runtime, store: deps.vectors },
    { tenantId: req.app.tenantId, datasetConfigs: config.dataset_configs, query: retrievalQuery },
  ).catch((error: unknown) => {
    throw asRequestError(error);
  });
  const prompt = fitHistory({
    appMode,
    config,
    inputs,
    query: req.query,
    images,
    history,
    contextSize,
    countTokens: (i) => deps.runtime.countTokens(i),
    context: retrieved.context,
  });
  const rows = await createRecords(deps.pool, {
    appId: req.app.appId,
    mode: appMode,
    appModelConfigId: record.configId!,
    provider: model.provider,
    model: model.name,
    endUserId: endUser.id,
    inputs,
    query: req.query,
    // Dify keeps the opening statement with the inputs filled in as the conversation's introduction.
    introduction: renderTemplate(config.opening_statement ?? '', inputs),
    conversation,
    files,
  });
  return {
    appMode,
    taskId: req.taskId,
    endUser,
    config,
    model,
    inputs,
    query: req.query,
    prompt,
    conversationId: rows.conversationId,
    newConversation: !conversation,
    messageId: rows.messageId,
    createdAt: rows.createdAt,
    retrieverResources: config.retriever_resource?.enabled === false ? [] : retrieved.resources,
    stream: req.stream !== false,
  };
}
