/**
 * The OpenAI-compatible door on every app (`/v1/models`, `/v1/chat/completions`, `/v1/completions`,
 * `/v1/embeddings`): the app key as Bearer, the same rate limits, rows and stop semantics as
 * `/v1/chat-messages`. Registered inside the service API scope (its auth and rate limit hooks
 * apply); every error here, whoever raised it, leaves in OpenAI's shape `{"error": {…}}`.
 */
import type { FastifyInstance } from 'fastify';
import { reshapeErrorPayload } from '../../../apps/openai/index.js';
import type { AppContext } from '../../context.js';
import type { MessageRoutesDeps } from '../service-api/generation.js';
import { completionRoutes } from './completions.js';
import { modelRoutes } from './models.js';

export async function openAiRoutes(app: FastifyInstance, ctx: AppContext, messages: MessageRoutesDeps): Promise<void> {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
    return reshapeErrorPayload(payload, reply.statusCode) ?? payload;
  });
  await completionRoutes(app, ctx, {
    generator: messages.generator,
    storage: ctx.storage,
    limits: ctx.settings,
    pingMs: messages.pingMs,
  });
  await modelRoutes(app, ctx);
}
