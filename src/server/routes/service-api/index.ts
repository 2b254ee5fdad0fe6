import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { limitByAppKey } from '../../hooks/rate-limit.js';
import { openAiRoutes } from '../openai/index.js';
import { notFound, unauthorized } from '../../http-error.js';
import { chatMessageRoutes } from './chat-messages.js';
import { completionMessageRoutes } from './completion-messages.js';
import { conversationRoutes } from './conversations.js';
import { knowledgeApiRoutes } from './datasets/index.js';
import { feedbackRoutes } from './feedbacks.js';
import { fileRoutes } from './files.js';
import { messageRoutesDeps } from './generation.js';
import { messageRoutes } from './messages.js';
import { metaRoutes } from './meta.js';
import { parameterRoutes } from './parameters.js';

/**
 * The service API (`/v1`, Dify's API for the official SDKs). Every route here authenticates with an
 * app key (`Authorization: Bearer app-…`) unless it says otherwise, and is limited to the app's
 * `api_rpm` requests per minute per key. Chat/completion messages,
 * conversations, feedbacks, parameters and file upload are added here by the service API work;
 * `extraRoutes` is where they plug in.
 */
export async function serviceApiRoutes(
  app: FastifyInstance,
  ctx: AppContext & { extraRoutes?: ServiceRoutes[] },
): Promise<void> {
  app.addHook('onRoute', (route) => {
    route.config = { auth: 'app-key', ...(route.config as object | undefined) };
  });
  app.addHook('preHandler', limitByAppKey(ctx.store));
  app.get('/info', async (request) => {
    if (request.auth?.kind !== 'app') throw unauthorized();
    const { rows } = await ctx.pool.query<{ name: string; description: string; mode: string }>(
      'SELECT name, description, mode FROM apps WHERE id = $1',
      [request.auth.appId],
    );
    if (!rows[0]) throw notFound('App not found.', 'app_unavailable');
    return { ...rows[0], tags: [] };
  });
  // One set of stop flags per app instance: its poller serves every stream this process runs.
  const messages = messageRoutesDeps(ctx);
  app.addHook('onClose', async () => messages.stopFlags.close());
  await chatMessageRoutes(app, ctx, messages);
  await completionMessageRoutes(app, ctx, messages);
  // The OpenAI-compatible door: its own scope, so that only its errors take OpenAI's shape.
  await app.register(async (scope) => openAiRoutes(scope, ctx, messages));
  for (const routes of [parameterRoutes, metaRoutes, conversationRoutes, messageRoutes, feedbackRoutes, fileRoutes])
    await routes(app, ctx);
  // The Knowledge API: its own scope, so that its routes take knowledge keys, not app keys.
  await app.register(async (scope) => knowledgeApiRoutes(scope, ctx));
  for (const routes of ctx.extraRoutes ?? []) await routes(app, ctx);
}

export type ServiceRoutes = (app: FastifyInstance, ctx: AppContext) => Promise<void>;
