import type { FastifyInstance } from 'fastify';
import { readPrompt, readTranscript } from '../../../apps/openai/index.js';
import type { AppContext } from '../../context.js';
import { DEFAULT_BODY_LIMIT } from '../../hooks/request-guard.js';
import { badRequest } from '../../http-error.js';
import { appOfModel, startDoorGeneration, type DoorDeps } from '../../services/openai-door.js';
import { callingApp } from '../service-api/generation.js';
import { clientGone } from '../service-api/render.js';
import { parse } from '../validate.js';
import { doorCall, renderAnswer } from './render.js';
import { ChatCompletionBody, CompletionBody, ConversationHeader, MAX_QUERY } from './schemas.js';

/** Images sent inline (data: URLs, base64) that a chat request may carry besides its 1 MiB of JSON. */
export const INLINE_IMAGES = 3;

/** The chat route's body limit: 1 MiB plus INLINE_IMAGES images of UPLOAD_IMAGE_FILE_SIZE_LIMIT MB in base64. */
export const chatBodyLimit = (imageLimitMb: number): number =>
  DEFAULT_BODY_LIMIT + INLINE_IMAGES * Math.ceil((imageLimitMb * 1024 * 1024 * 4) / 3);

/** `POST /v1/chat/completions` and `POST /v1/completions`: validate → the app's generation → OpenAI's answer. */
export async function completionRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  door: DoorDeps & { pingMs?: number },
): Promise<void> {
  const onError = (error: unknown): void => ctx.logger.error({ err: error }, 'openai stream failed');

  app.post(
    '/chat/completions',
    { bodyLimit: chatBodyLimit(ctx.settings.UPLOAD_IMAGE_FILE_SIZE_LIMIT) },
    async (request, reply) => {
      const target = callingApp(request);
      const body = parse(ChatCompletionBody, request.body);
      const header = parse(ConversationHeader, request.headers)['x-dify-conversation-id'];
      await appOfModel(ctx.pool, target, body.model);
      const transcript = await doorCall(() => readTranscript(body.messages));
      if (transcript.query.length > MAX_QUERY)
        throw badRequest(`messages.${body.messages.length - 1}.content: at most ${MAX_QUERY} characters`);
      const signal = clientGone(reply);
      const generation = await doorCall(() =>
        startDoorGeneration(door, {
          app: target,
          transcript,
          user: body.user,
          conversationId: body.conversation_id || header || null,
          inputs: body.inputs,
          signal,
        }),
      );
      return renderAnswer(reply, generation, {
        kind: 'chat',
        model: body.model,
        stream: body.stream ?? false,
        includeUsage: body.stream_options?.include_usage ?? false,
        pingMs: door.pingMs,
        onError,
      });
    },
  );

  app.post('/completions', async (request, reply) => {
    const target = callingApp(request);
    const body = parse(CompletionBody, request.body);
    const header = parse(ConversationHeader, request.headers)['x-dify-conversation-id'];
    await appOfModel(ctx.pool, target, body.model);
    const query = await doorCall(() => readPrompt(body.prompt));
    if (query.length > MAX_QUERY) throw badRequest(`prompt: at most ${MAX_QUERY} characters`);
    const signal = clientGone(reply);
    const transcript = { query, images: [], system: '', turns: [] };
    const generation = await doorCall(() =>
      startDoorGeneration(door, {
        app: target,
        transcript,
        user: body.user,
        conversationId: body.conversation_id || header || null,
        inputs: body.inputs,
        signal,
      }),
    );
    return renderAnswer(reply, generation, {
      kind: 'text',
      model: body.model,
      stream: body.stream ?? false,
      includeUsage: body.stream_options?.include_usage ?? false,
      pingMs: door.pingMs,
      onError,
    });
  });
}
