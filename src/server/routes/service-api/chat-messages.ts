import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CHAT_MODES, generateChat } from '../../../apps/index.js';
import type { AppContext } from '../../context.js';
import { HttpError } from '../../http-error.js';
import { appCall } from '../app-errors.js';
import { parse } from '../validate.js';
import { callingApp, filesField, responseMode, stopTask, userField, type MessageRoutesDeps } from './generation.js';
import { clientGone, renderGeneration } from './render.js';

const ChatBody = z.object({
  inputs: z.record(z.string(), z.unknown(), { message: 'must be an object' }),
  query: z
    .string({
      error: (issue) =>
        issue.input === undefined ? 'Missing required parameter in the JSON body' : 'must be a string',
    })
    .max(100_000),
  response_mode: responseMode,
  conversation_id: z.union([z.uuid({ message: 'must be a UUID' }), z.literal('')]).nullish(),
  user: userField,
  files: filesField,
  auto_generate_name: z.boolean().nullish(),
  retriever_from: z.string().max(32).nullish(),
});

const notChatApp = (): HttpError =>
  new HttpError(400, 'not_chat_app', 'Please check if your app mode matches the right API route.');

/** `POST /v1/chat-messages` and `POST /v1/chat-messages/<task_id>/stop`: validate → generateChat → render. */
export async function chatMessageRoutes(app: FastifyInstance, ctx: AppContext, deps: MessageRoutesDeps): Promise<void> {
  app.post('/chat-messages', async (request, reply) => {
    const target = callingApp(request);
    if (!(CHAT_MODES as readonly string[]).includes(target.mode)) throw notChatApp();
    const body = parse(ChatBody, request.body);
    const signal = clientGone(reply);
    const generation = await appCall(() =>
      generateChat(deps.generator, {
        app: target,
        user: body.user,
        inputs: body.inputs,
        query: body.query,
        conversationId: body.conversation_id || null,
        files: body.files,
        autoGenerateName: body.auto_generate_name ?? true,
        signal,
        stream: body.response_mode === 'streaming',
      }),
    );
    return renderGeneration(reply, generation, body.response_mode, {
      pingMs: deps.pingMs,
      onError: (error) => ctx.logger.error({ err: error }, 'chat stream failed'),
    });
  });

  app.post('/chat-messages/:task_id/stop', async (request) => {
    const target = callingApp(request);
    if (!(CHAT_MODES as readonly string[]).includes(target.mode)) throw notChatApp();
    return stopTask(ctx, deps, request, target.appId);
  });
}
