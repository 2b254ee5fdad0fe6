import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findEndUser, resolveEndUser } from '../../../apps/end-users.js';
import type { AppContext } from '../../context.js';
import { notFound } from '../../http-error.js';
import { nameConversation } from '../../services/conversation-names.js';
import {
  CONVERSATION_SORTS,
  deleteConversation,
  getConversation,
  listConversations,
  renameConversation,
  simpleConversationJson,
} from '../../services/conversations.js';
import { parse, uuidParam } from '../validate.js';
import { chatAppOf, optionalUuid, userField } from './end-user.js';

const ListQuery = z.object({
  user: userField,
  last_id: optionalUuid,
  limit: z.coerce.number().int().min(1).max(100).default(20),
  sort_by: z.enum(CONVERSATION_SORTS).default('-updated_at'),
});
const Params = z.object({ conversationId: uuidParam });
const RenameBody = z
  .object({ user: userField, name: z.string().max(255).nullish(), auto_generate: z.boolean().default(false) })
  .refine((b) => b.auto_generate || (b.name ?? '').trim() !== '', {
    message: 'name is required when auto_generate is false',
    path: ['name'],
  });
const DeleteBody = z.object({ user: userField });

/** GET /conversations, POST /conversations/:id/name, DELETE /conversations/:id — one end user's chats. */
export async function conversationRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/conversations', async (request) => {
    const { appId } = chatAppOf(request);
    const q = parse(ListQuery, request.query);
    const endUser = await findEndUser(ctx.pool, { appId, user: q.user });
    if (!endUser) {
      if (q.last_id) throw notFound('Last Conversation Not Exists.');
      return { limit: q.limit, has_more: false, data: [] };
    }
    return listConversations(ctx.pool, {
      appId,
      endUserId: endUser.id,
      lastId: q.last_id,
      limit: q.limit,
      sortBy: q.sort_by,
    });
  });

  app.post('/conversations/:conversationId/name', async (request) => {
    const { appId, tenantId } = chatAppOf(request);
    const { conversationId } = parse(Params, request.params);
    const body = parse(RenameBody, request.body);
    const endUser = await resolveEndUser(ctx.pool, { tenantId, appId, user: body.user });
    const scope = { appId, endUserId: endUser.id, conversationId };
    if (!body.auto_generate) return renameConversation(ctx.pool, { ...scope, name: body.name! });
    await getConversation(ctx.pool, scope);
    // As Dify: a name the model cannot give leaves the conversation as it was.
    await nameConversation(
      { pool: ctx.pool, runtime: ctx.modelRuntime },
      { tenantId, appId, conversationId, keepRenamed: false },
    ).catch((error: unknown) => {
      request.log.warn({ err: (error as Error).message, conversationId }, 'conversation name not generated');
    });
    return simpleConversationJson(await getConversation(ctx.pool, scope));
  });

  app.delete('/conversations/:conversationId', async (request, reply) => {
    const { appId, tenantId } = chatAppOf(request);
    const { conversationId } = parse(Params, request.params);
    const body = parse(DeleteBody, request.body);
    const endUser = await resolveEndUser(ctx.pool, { tenantId, appId, user: body.user });
    await deleteConversation(ctx.pool, { appId, endUserId: endUser.id, conversationId });
    reply.code(204);
  });
}
