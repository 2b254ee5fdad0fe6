import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findEndUser } from '../../../apps/end-users.js';
import type { AppContext } from '../../context.js';
import { notFound } from '../../http-error.js';
import { createFileUrls } from '../../services/file-urls.js';
import { listMessages } from '../../services/messages.js';
import { suggestedQuestions } from '../../services/suggested-questions.js';
import { parse, uuidParam } from '../validate.js';
import { chatAppOf, optionalUuid, requireUser, userField } from './end-user.js';

const ListQuery = z.object({
  user: userField,
  // Required as in Dify; sent empty it means "no conversation": an empty page.
  conversation_id: z.union([z.literal(''), z.string().uuid({ message: 'must be a UUID' })], {
    message: 'must be a UUID',
  }),
  first_id: optionalUuid,
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
const MessageParams = z.object({ messageId: uuidParam });
const SuggestedQuery = z.object({ user: userField });

/** GET /messages (first_id paging) and GET /messages/:id/suggested. */
export async function messageRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const urls = createFileUrls({
    secretKey: ctx.settings.SECRET_KEY,
    filesUrl: ctx.settings.FILES_URL,
    accessTimeoutSeconds: ctx.settings.FILES_ACCESS_TIMEOUT,
  });
  app.get('/messages', async (request) => {
    const { appId } = chatAppOf(request);
    const q = parse(ListQuery, request.query);
    const endUser = await findEndUser(ctx.pool, { appId, user: q.user });
    if (!endUser) {
      if (q.conversation_id) throw notFound('Conversation Not Exists.');
      return { limit: q.limit, has_more: false, data: [] };
    }
    return listMessages(ctx.pool, {
      appId,
      endUserId: endUser.id,
      conversationId: q.conversation_id,
      firstId: q.first_id,
      limit: q.limit,
      fileUrl: urls.sign,
    });
  });

  app.get('/messages/:messageId/suggested', async (request) => {
    const { appId, tenantId } = chatAppOf(request);
    const { messageId } = parse(MessageParams, request.params);
    const user = requireUser(parse(SuggestedQuery, request.query).user);
    const endUser = await findEndUser(ctx.pool, { appId, user });
    if (!endUser) throw notFound('Message Not Exists.');
    const questions = await suggestedQuestions(
      { pool: ctx.pool, runtime: ctx.modelRuntime },
      { appId, tenantId, endUserId: endUser.id, messageId },
    );
    return { result: 'success', data: questions };
  });
}
