import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { accountOf } from '../../hooks/auth.js';
import { notFound } from '../../http-error.js';
import {
  chatConversationLogs,
  completionConversationLogs,
  conversationMessageLogs,
  LOG_SORTS,
  type LogFilter,
} from '../../services/app-logs.js';
import { getApp } from '../../services/apps.js';
import { createFileUrls } from '../../services/file-urls.js';
import { parse, uuidParam } from '../validate.js';

const AppParams = z.object({ appId: uuidParam });
/** Dify's console date filter: `YYYY-MM-DD HH:MM`, in the account's timezone. */
const minute = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/, 'must be YYYY-MM-DD HH:MM')
  .optional();
const LogQuery = z.object({
  keyword: z.string().max(255).optional(),
  start: minute,
  end: minute,
  annotation_status: z.enum(['annotated', 'not_annotated', 'all']).default('all'),
  message_count_gte: z.coerce.number().int().min(1).max(99_999).optional(),
  page: z.coerce.number().int().min(1).max(99_999).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  sort_by: z.enum(LOG_SORTS).default('-updated_at'),
});
const MessagesQuery = z.object({
  conversation_id: uuidParam,
  first_id: z.preprocess((v) => (v === '' ? undefined : v), uuidParam.optional()),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

const CHAT_MODES = ['chat', 'agent-chat', 'advanced-chat'];
/** Dify's get_app_model(mode=…): an app of another mode is "not found" for these routes. */
const wrongMode = (modes: string[]) =>
  notFound(`App mode is not in the supported list: ${modes.join(', ')}`, 'app_not_found');

/** The app's logs: chat and completion conversations, a conversation's messages (Dify's console shapes). */
export async function appLogRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const urls = createFileUrls({
    secretKey: ctx.settings.SECRET_KEY,
    filesUrl: ctx.settings.FILES_URL,
    accessTimeoutSeconds: ctx.settings.FILES_ACCESS_TIMEOUT,
  });
  const filterOf = async (request: Parameters<typeof accountOf>[0], modes: string[]): Promise<LogFilter> => {
    const { appId } = parse(AppParams, request.params);
    const who = accountOf(request);
    const found = await getApp(ctx.pool, { tenantId: who.tenantId, appId });
    if (!modes.includes(String(found.mode))) throw wrongMode(modes);
    const q = parse(LogQuery, request.query);
    return {
      tenantId: who.tenantId,
      appId,
      accountId: who.accountId,
      keyword: q.keyword,
      start: q.start,
      end: q.end,
      annotationStatus: q.annotation_status,
      messageCountGte: q.message_count_gte,
      page: q.page,
      limit: q.limit,
      sortBy: q.sort_by,
    };
  };
  app.get('/apps/:appId/chat-conversations', async (request) =>
    chatConversationLogs(ctx.pool, await filterOf(request, CHAT_MODES)),
  );
  app.get('/apps/:appId/completion-conversations', async (request) =>
    completionConversationLogs(ctx.pool, await filterOf(request, ['completion'])),
  );
  app.get('/apps/:appId/chat-messages', async (request) => {
    const { appId } = parse(AppParams, request.params);
    const found = await getApp(ctx.pool, { tenantId: accountOf(request).tenantId, appId });
    if (!CHAT_MODES.includes(String(found.mode))) throw wrongMode(CHAT_MODES);
    const q = parse(MessagesQuery, request.query);
    return conversationMessageLogs(ctx.pool, {
      appId,
      conversationId: q.conversation_id,
      firstId: q.first_id,
      limit: q.limit,
      fileUrl: urls.sign,
    });
  });
}
