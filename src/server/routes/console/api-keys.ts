import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { accountOf } from '../../hooks/auth.js';
import { createKey, deleteKey, listKeys } from '../../services/api-keys.js';
import { getApp } from '../../services/apps.js';
import { parse, uuidParam } from '../validate.js';

const AppParams = z.object({ appId: uuidParam });
const KeyParams = z.object({ appId: uuidParam, keyId: uuidParam });

/** App API keys: listed masked, created once in full, revoked. */
export async function apiKeyRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/apps/:appId/api-keys', async (request) => {
    const { appId } = parse(AppParams, request.params);
    const { tenantId } = accountOf(request);
    await getApp(ctx.pool, { tenantId, appId });
    return listKeys(ctx.pool, { tenantId, appId });
  });
  app.post('/apps/:appId/api-keys', async (request, reply) => {
    const { appId } = parse(AppParams, request.params);
    const key = await createKey(ctx.pool, { tenantId: accountOf(request).tenantId, appId });
    reply.code(201);
    return key;
  });
  app.delete('/apps/:appId/api-keys/:keyId', async (request, reply) => {
    const { appId, keyId } = parse(KeyParams, request.params);
    await deleteKey(ctx.pool, { tenantId: accountOf(request).tenantId, appId, keyId });
    ctx.appKeys.clear();
    reply.code(204);
  });
}
