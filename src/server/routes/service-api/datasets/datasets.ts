import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { datasetJson, getDataset, listDatasets } from '../../../../knowledge/index.js';
import { newDataset, removeDataset, updateDataset } from '../../../../knowledge/service.js';
import type { AppContext } from '../../../context.js';
import { parse } from '../../validate.js';
import { knowledgeCall, knowledgeDeps, workspaceOf } from './deps.js';
import { DatasetParams, DatasetPatchBody, datasetName, Paging } from './schemas.js';

const technique = z.enum(['high_quality', 'economy']).nullish();
const CreateBody = z.object({
  name: datasetName,
  description: z.string().max(400, 'Description cannot exceed 400 characters.').nullish(),
  indexing_technique: technique,
  permission: z.enum(['only_me', 'all_team_members', 'partial_members']).nullish(),
  provider: z.enum(['vendor']).nullish(),
  embedding_model: z.string().nullish(),
  embedding_model_provider: z.string().nullish(),
  retrieval_model: z.record(z.string(), z.unknown()).nullish(),
});

/** Knowledge API: datasets (Dify's service_api/dataset/dataset.py). */
export async function datasetRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps = knowledgeDeps(ctx);
  app.post('/datasets', async (request) => {
    const body = parse(CreateBody, request.body);
    const tenantId = workspaceOf(request);
    return knowledgeCall(async () =>
      datasetJson(await newDataset(deps, { tenantId, ...body, permission: body.permission ?? undefined })),
    );
  });
  app.get('/datasets', async (request) => {
    const query = parse(Paging, request.query);
    return listDatasets(ctx.pool, { tenantId: workspaceOf(request), ...query });
  });
  app.get('/datasets/:datasetId', async (request) => {
    const { datasetId } = parse(DatasetParams, request.params);
    const tenantId = workspaceOf(request);
    return knowledgeCall(async () => datasetJson(await getDataset(ctx.pool, tenantId, datasetId)));
  });
  app.patch('/datasets/:datasetId', async (request) => {
    const { datasetId } = parse(DatasetParams, request.params);
    const body = parse(DatasetPatchBody, request.body);
    const tenantId = workspaceOf(request);
    return knowledgeCall(async () => datasetJson(await updateDataset(deps, tenantId, datasetId, body)));
  });
  app.delete('/datasets/:datasetId', async (request, reply) => {
    const { datasetId } = parse(DatasetParams, request.params);
    const tenantId = workspaceOf(request);
    await knowledgeCall(() => removeDataset(deps, tenantId, datasetId));
    reply.code(204);
  });
}
