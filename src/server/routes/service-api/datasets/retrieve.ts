import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getDataset } from '../../../../knowledge/index.js';
import { hitTesting } from '../../../../knowledge/service.js';
import type { AppContext } from '../../../context.js';
import { parse } from '../../validate.js';
import { DatasetParams } from './schemas.js';
import { knowledgeCall, knowledgeDeps, workspaceOf } from './deps.js';

const Body = z.object({
  query: z.string({ message: 'is required' }).min(1, 'is required').max(250, 'Query cannot exceed 250 characters'),
  retrieval_model: z.record(z.string(), z.unknown()).nullish(),
  external_retrieval_model: z.record(z.string(), z.unknown()).nullish(),
});

/** Knowledge API: `retrieve` and its older name `hit-testing` (Dify's service_api/dataset/hit_testing.py). */
export async function retrieveRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps = knowledgeDeps(ctx);
  for (const url of ['/datasets/:datasetId/retrieve', '/datasets/:datasetId/hit-testing']) {
    app.post(url, async (request) => {
      const { datasetId } = parse(DatasetParams, request.params);
      const body = parse(Body, request.body);
      const tenantId = workspaceOf(request);
      return knowledgeCall(async () =>
        hitTesting(deps, await getDataset(ctx.pool, tenantId, datasetId), {
          query: body.query,
          retrieval_model: body.retrieval_model,
        }),
      );
    });
  }
}
