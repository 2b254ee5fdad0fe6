import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findEndUser } from '../../../apps/end-users.js';
import type { AppContext } from '../../context.js';
import { notFound } from '../../http-error.js';
import { setUserFeedback } from '../../services/messages.js';
import { parse, uuidParam } from '../validate.js';
import { appOf, requireUser, userField } from './end-user.js';

const Params = z.object({ messageId: uuidParam });
const Body = z.object({
  user: userField,
  /** like, dislike, or null to take a rating back. */
  rating: z.enum(['like', 'dislike']).nullish(),
  content: z.string().max(65_535).nullish(),
});

/** POST /messages/:id/feedbacks — the end user's like/dislike of an answer (any app mode, as Dify). */
export async function feedbackRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post('/messages/:messageId/feedbacks', async (request) => {
    const { appId } = appOf(request);
    const { messageId } = parse(Params, request.params);
    const body = parse(Body, request.body);
    const endUser = await findEndUser(ctx.pool, { appId, user: requireUser(body.user) });
    // A user that never wrote anything has no message to rate.
    if (!endUser) throw notFound('Message Not Exists.');
    await setUserFeedback(ctx.pool, {
      appId,
      endUserId: endUser.id,
      messageId,
      rating: body.rating ?? null,
      content: body.content,
    });
    return { result: 'success' };
  });
}
