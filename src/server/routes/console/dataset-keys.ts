import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { accountOf } from '../../hooks/auth.js';
import { createDatasetKey, deleteDatasetKey, listDatasetKeys } from '../../services/dataset-keys.js';
import { parse, uuidParam } from '../validate.js';

const KeyParams = z.object({ keyId: uuidParam });

/** Knowledge API keys (`dataset-…`), one set per workspace (Dify's console/datasets DatasetApiKeyApi). */
export async function datasetKeyRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/datasets/api-keys', async (request) => listDatasetKeys(ctx.pool, accountOf(request).tenantId));
  app.post('/datasets/api-keys', async (request) => createDatasetKey(ctx.pool, accountOf(request).tenantId));
  app.delete('/datasets/api-keys/:keyId', async (request, reply) => {
    const { keyId } = parse(KeyParams, request.params);
    await deleteDatasetKey(ctx.pool, accountOf(request).tenantId, keyId);
    reply.code(204);
  });
}
