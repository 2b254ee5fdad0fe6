import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { loadAppConfig, modelConfigJson } from '../../../apps/model-config/index.js';
import type { AppContext } from '../../context.js';
import { inTransaction } from '../../db.js';
import { accountOf } from '../../hooks/auth.js';
import { APP_MODES, createApp, getApp, listApps, markAppDeleting, updateApp } from '../../services/apps.js';
import { INT4_MAX, parse, uuidParam } from '../validate.js';

const AppParams = z.object({ appId: uuidParam });
const ListQuery = z.object({
  page: z.coerce.number().int().min(1).max(99_999).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  name: z.string().max(255).optional(),
});
const icon = {
  icon_type: z.string().max(32).nullish(),
  icon: z.string().max(255).nullish(),
  icon_background: z.string().max(32).nullish(),
};
const CreateBody = z.object({
  name: z.string().trim().min(1).max(255),
  description: z.string().max(4000).optional(),
  mode: z.enum(APP_MODES),
  ...icon,
});
const UpdateBody = z.object({
  name: z.string().trim().min(1).max(255).optional(),
  description: z.string().max(4000).optional(),
  enable_site: z.boolean().optional(),
  enable_api: z.boolean().optional(),
  api_rpm: z.number().int().min(0).max(INT4_MAX).optional(),
  api_rph: z.number().int().min(0).max(INT4_MAX).optional(),
  ...icon,
});

/** Apps CRUD of the signed-in account's workspace. Deleting enqueues the `app_deletion` task. */
export async function appRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/apps', async (request, reply) => {
    const q = parse(ListQuery, request.query);
    const { tenantId } = accountOf(request);
    const page = ctx.appLists.page(tenantId, `${q.page}\n${q.limit}\n${q.name ?? ''}`, async () =>
      JSON.stringify(await listApps(ctx.pool, { tenantId, ...q })),
    );
    return reply.type('application/json; charset=utf-8').send(await page);
  });
  app.post('/apps', async (request, reply) => {
    const body = parse(CreateBody, request.body);
    const who = accountOf(request);
    reply.code(201);
    return createApp(ctx.pool, { ...body, tenantId: who.tenantId, accountId: who.accountId });
  });
  app.get('/apps/:appId', async (request) => {
    const { appId } = parse(AppParams, request.params);
    const detail = await getApp(ctx.pool, { tenantId: accountOf(request).tenantId, appId });
    return { ...detail, model_config: modelConfigJson(await loadAppConfig(ctx.pool, appId)) };
  });
  app.put('/apps/:appId', async (request) => {
    const { appId } = parse(AppParams, request.params);
    const who = accountOf(request);
    const updated = await updateApp(ctx.pool, {
      tenantId: who.tenantId,
      accountId: who.accountId,
      appId,
      changes: parse(UpdateBody, request.body),
    });
    ctx.appKeys.clear();
    return updated;
  });
  app.delete('/apps/:appId', async (request, reply) => {
    const { appId } = parse(AppParams, request.params);
    const { tenantId } = accountOf(request);
    // Hidden and queued together: if the task cannot be queued (broker away), the app stays as it was.
    await inTransaction(ctx.pool, async (client) => {
      await markAppDeleting(client, { tenantId, appId });
      await ctx.queue.enqueue('app_deletion', 'remove_app_and_related_data', { tenant_id: tenantId, app_id: appId });
    });
    ctx.appKeys.clear();
    reply.code(204);
  });
}
