/**
 * What the chat and completion routes share: the generator's dependencies for this app instance
 * (model runtime, stop flags on the store, conversation naming in the worker), the calling app,
 * and the request fields both take.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  createStopFlags,
  findEndUser,
  ownerOf,
  type AppRef,
  type GeneratorDeps,
  type StopFlags,
} from '../../../apps/index.js';
import type { AppContext } from '../../context.js';
import { unauthorized } from '../../http-error.js';
import { enqueueConversationName } from '../../services/conversation-names.js';
import { parse } from '../validate.js';

export interface MessageRoutesDeps {
  generator: GeneratorDeps;
  stopFlags: StopFlags;
  /** SSE ping period. @default 10 s */
  pingMs?: number;
}

export function messageRoutesDeps(
  ctx: AppContext,
  options: { stopPollMs?: number; pingMs?: number } = {},
): MessageRoutesDeps {
  const stopFlags = createStopFlags(ctx.store.kv, {
    pollMs: options.stopPollMs,
    onError: (error) => ctx.logger.warn({ err: String(error) }, 'stop flags not readable (retried)'),
  });
  return {
    stopFlags,
    pingMs: options.pingMs,
    generator: {
      pool: ctx.pool,
      runtime: ctx.modelRuntime,
      vectors: ctx.vectors,
      stopFlags,
      loadUpload: (key) => ctx.storage.load(key),
      logger: ctx.logger,
      onConversationStarted: (conversation) => enqueueConversationName(ctx.queue, conversation, ctx.logger),
    },
  };
}

/** The app of the request's key (the auth hook read it with the key: no query here). */
export function callingApp(request: FastifyRequest): AppRef {
  if (request.auth?.kind !== 'app') throw unauthorized();
  return { appId: request.auth.appId, tenantId: request.auth.tenantId, mode: request.auth.appMode };
}

/** `user`: Dify requires it on these routes ("Arg user must be provided."). */
export const userField = z
  .string({ message: 'Arg user must be provided.' })
  .min(1, 'Arg user must be provided.')
  .max(255);

export const responseMode = z
  .enum(['blocking', 'streaming'], { message: "must be 'blocking' or 'streaming'" })
  .nullish()
  .transform((v) => v ?? 'blocking');

/** `files` as Dify's clients send them: images by URL (used for vision) or uploaded files. */
export const filesField = z
  .array(
    z.looseObject({
      type: z.string().max(32),
      transfer_method: z.enum(['remote_url', 'local_file', 'tool_file']),
      url: z.string().max(4096).nullish(),
      upload_file_id: z.string().max(64).nullish(),
    }),
  )
  .max(20)
  .nullish();

const StopParams = z.object({ task_id: z.string().min(1).max(64) });
const StopBody = z.object({ user: userField });

/** POST …/:task_id/stop: the end user's task is asked to stop (a user never seen has none); success either way, as Dify. */
export async function stopTask(
  ctx: AppContext,
  deps: MessageRoutesDeps,
  request: FastifyRequest,
  appId: string,
): Promise<{ result: 'success' }> {
  const { task_id } = parse(StopParams, request.params);
  const { user } = parse(StopBody, request.body);
  const endUser = await findEndUser(ctx.pool, { appId, user });
  if (endUser) await deps.stopFlags.requestStop(task_id, ownerOf(endUser.id));
  return { result: 'success' };
}
