/**
 * A question to an app through the service API (`POST /v1/chat-messages`, or
 * `/v1/completion-messages` for a completion app), streamed: each event goes to `onEvent` as it
 * arrives. The key is the app's stored one (`keys create`), else a new one; a stored key the server
 * no longer knows is replaced once.
 */
import { DifyctlError } from '../errors/index.js';
import { resolveApp, type AppSummary } from './apps.js';
import type { ConsoleClient } from './http.js';
import { appKey } from './keys.js';
import { sseEvents, type StreamEvent } from './sse.js';
import { consoleRefused } from './errors.js';

export interface ChatInput {
  /** An app (as resolved before, for a conversation of many turns), or its id or unique name. */
  app: AppSummary | string;
  query: string;
  conversationId?: string;
  inputs?: Record<string, string>;
  /** Dify's end-user id. @default 'difyctl' */
  user?: string;
  /** An app key to use instead of the stored one. */
  key?: string;
  signal?: AbortSignal;
  onEvent?: (event: StreamEvent) => void;
}

export interface ChatResult {
  app: AppSummary;
  answer: string;
  conversationId?: string;
  messageId?: string;
  events: StreamEvent[];
  /** true when this call made the app's key (none was stored). */
  keyCreated: boolean;
}

export async function chat(client: ConsoleClient, input: ChatInput): Promise<ChatResult> {
  const app = typeof input.app === 'string' ? await resolveApp(client, input.app) : input.app;
  const completion = app.mode === 'completion';
  const route = completion ? '/completion-messages' : '/chat-messages';
  const body = {
    inputs: completion ? { query: input.query, ...input.inputs } : (input.inputs ?? {}),
    ...(completion ? {} : { query: input.query, conversation_id: input.conversationId ?? '' }),
    response_mode: 'streaming',
    user: input.user ?? 'difyctl',
  };
  let key = input.key ? { token: input.key, created: false } : await appKey(client, app);
  let keyCreated = key.created;
  let res: Response;
  try {
    res = await client.service(route, body, key.token, input.signal);
  } catch (error) {
    // A stored key the server no longer knows (removed, `db reset`): make a new one, once.
    if (input.key || key.created || !(error instanceof DifyctlError && error.details?.status === 401)) throw error;
    key = await appKey(client, app, { fresh: true });
    keyCreated = true;
    res = await client.service(route, body, key.token, input.signal);
  }
  const result: ChatResult = { app, answer: '', events: [], keyCreated };
  if (!res.body) return result;
  for await (const event of sseEvents(res.body)) {
    result.events.push(event);
    if (typeof event.conversation_id === 'string') result.conversationId = event.conversation_id;
    if (typeof event.message_id === 'string') result.messageId = event.message_id;
    if (event.event === 'message' && typeof event.answer === 'string') result.answer += event.answer;
    if (event.event === 'message_replace' && typeof event.answer === 'string') result.answer = event.answer;
    input.onEvent?.(event);
    if (event.event === 'error') {
      const code = typeof event.code === 'string' ? event.code : 'error';
      throw consoleRefused(`the answer failed: ${String(event.message ?? code)} (${code})`, {
        details: { status: event.status, code, message: event.message },
      });
    }
  }
  return result;
}
