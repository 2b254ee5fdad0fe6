import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { readPrompt, readTranscript, type Transcript } from '../../../apps/openai/index.js';
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

/** What the answer needs of either body (chat or completion). */
type DoorBody = Pick<
  z.infer<typeof CompletionBody>,
  'model' | 'user' | 'conversation_id' | 'inputs' | 'stream' | 'stream_options'
>;

/** `POST /v1/chat/completions` and `POST /v1/completions`: validate → the app's generation → OpenAI's answer. */
export async function completionRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  door: DoorDeps & { pingMs?: number },
): Promise<void> {
  const onError = (error: unknown): void => ctx.logger.error({ err: error }, 'openai stream failed');
  /** The part both routes share once the request is read: run the app, answer in OpenAI's shape. */
  const answer = async (
    request: FastifyRequest,
    reply: FastifyReply,
    input: { kind: 'chat' | 'text'; body: DoorBody; transcript: Transcript },
  ) => {
    const header = parse(ConversationHeader, request.headers)['x-dify-conversation-id'];
    const signal = clientGone(reply);
    const generation = await doorCall(() =>
      startDoorGeneration(door, {
        app: callingApp(request),
        transcript: input.transcript,
        user: input.body.user,
        conversationId: input.body.conversation_id || header || null,
        inputs: input.body.inputs,
        signal,
        stream: input.body.stream ?? false,
      }),
    );
    return renderAnswer(reply, generation, {
      kind: input.kind,
      model: input.body.model,
      stream: input.body.stream ?? false,
      includeUsage: input.body.stream_options?.include_usage ?? false,
      pingMs: door.pingMs,
      onError,
    });
  };

  app.post(
    '/chat/completions',
    { bodyLimit: chatBodyLimit(ctx.settings.UPLOAD_IMAGE_FILE_SIZE_LIMIT) },
    async (request, reply) => {
      const body = parse(ChatCompletionBody, request.body);
      await appOfModel(ctx.pool, callingApp(request), body.model);
      const transcript = await doorCall(() => readTranscript(body.messages));
      if (transcript.query.length > MAX_QUERY)
        throw badRequest(`messages.${body.messages.length - 1}.content: at most ${MAX_QUERY} characters`);
      return answer(request, reply, { kind: 'chat', body, transcript });
    },
  );

  app.post('/completions', async (request, reply) => {
    const body = parse(CompletionBody, request.body);
    await appOfModel(ctx.pool, callingApp(request), body.model);
    const query = await doorCall(() => readPrompt(body.prompt));
    if (query.length > MAX_QUERY) throw badRequest(`prompt: at most ${MAX_QUERY} characters`);
    return answer(request, reply, { kind: 'text', body, transcript: { query, images: [], system: '', turns: [] } });
  });
}
