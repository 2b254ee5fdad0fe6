import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  batchStatus,
  datasetJson,
  getDataset,
  getDocument,
  listDatasets,
  listDocuments,
  listSegments,
} from '../../../knowledge/index.js';
import {
  hitTesting,
  newDataset,
  removeDataset,
  removeDocument,
  setDocumentsStatus,
  updateDataset,
} from '../../../knowledge/service.js';
import type { AppContext } from '../../context.js';
import { accountOf } from '../../hooks/auth.js';
import { parse, uuidParam } from '../validate.js';
import { knowledgeCall, knowledgeDeps } from '../service-api/datasets/deps.js';
import {
  BatchParams,
  DatasetParams,
  DatasetPatchBody,
  datasetName,
  DocumentParams,
  Paging,
} from '../service-api/datasets/schemas.js';

const CreateBody = z.object({
  name: datasetName,
  description: z.string().max(400).nullish(),
  indexing_technique: z.enum(['high_quality', 'economy']).nullish(),
  permission: z.enum(['only_me', 'all_team_members', 'partial_members']).nullish(),
  embedding_model: z.string().nullish(),
  embedding_model_provider: z.string().nullish(),
});
const HitBody = z.object({
  query: z.string().min(1, 'is required').max(250, 'Query cannot exceed 250 characters'),
  retrieval_model: z.record(z.string(), z.unknown()).nullish(),
});

const StatusParams = z.object({ datasetId: uuidParam, action: z.string().max(20) });
const StatusQuery = z.object({
  document_id: z.union([uuidParam, z.array(uuidParam).min(1).max(100)], { message: 'is required' }),
});

/** The console's knowledge routes (Dify's console/datasets): the same services as the Knowledge API, for the signed-in workspace. */
export async function datasetConsoleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps = knowledgeDeps(ctx);
  app.get('/datasets', async (request) =>
    listDatasets(ctx.pool, { tenantId: accountOf(request).tenantId, ...parse(Paging, request.query) }),
  );
  app.post('/datasets', async (request, reply) => {
    const body = parse(CreateBody, request.body);
    const { tenantId, accountId } = accountOf(request);
    const dataset = await knowledgeCall(() =>
      newDataset(deps, { tenantId, ...body, permission: body.permission ?? undefined, createdBy: accountId }),
    );
    reply.code(201);
    return datasetJson(dataset);
  });
  app.get('/datasets/:datasetId', async (request) => {
    const { datasetId } = parse(DatasetParams, request.params);
    return knowledgeCall(async () => datasetJson(await getDataset(ctx.pool, accountOf(request).tenantId, datasetId)));
  });
  app.patch('/datasets/:datasetId', async (request) => {
    const { datasetId } = parse(DatasetParams, request.params);
    const body = parse(DatasetPatchBody, request.body);
    return knowledgeCall(async () =>
      datasetJson(await updateDataset(deps, accountOf(request).tenantId, datasetId, body)),
    );
  });
  // Dify's console takes the documents as repeated `document_id` query parameters.
  app.patch('/datasets/:datasetId/documents/status/:action/batch', async (request) => {
    const { datasetId, action } = parse(StatusParams, request.params);
    const { document_id } = parse(StatusQuery, request.query);
    return knowledgeCall(async () => {
      await getDataset(ctx.pool, accountOf(request).tenantId, datasetId);
      return setDocumentsStatus(deps, datasetId, action, typeof document_id === 'string' ? [document_id] : document_id);
    });
  });
  app.get('/datasets/:datasetId/documents/:documentId/segments', async (request) => {
    const { datasetId, documentId } = parse(DocumentParams, request.params);
    const query = parse(Paging, request.query);
    return knowledgeCall(async () => {
      await getDataset(ctx.pool, accountOf(request).tenantId, datasetId);
      await getDocument(ctx.pool, datasetId, documentId);
      return listSegments(ctx.pool, { documentId, ...query });
    });
  });
  app.delete('/datasets/:datasetId', async (request, reply) => {
    const { datasetId } = parse(DatasetParams, request.params);
    await knowledgeCall(() => removeDataset(deps, accountOf(request).tenantId, datasetId));
    reply.code(204);
  });
  app.get('/datasets/:datasetId/documents', async (request) => {
    const { datasetId } = parse(DatasetParams, request.params);
    const query = parse(Paging, request.query);
    return knowledgeCall(async () => {
      await getDataset(ctx.pool, accountOf(request).tenantId, datasetId);
      return listDocuments(ctx.pool, { datasetId, ...query });
    });
  });
  app.delete('/datasets/:datasetId/documents/:documentId', async (request, reply) => {
    const { datasetId, documentId } = parse(DocumentParams, request.params);
    await knowledgeCall(async () => {
      await getDataset(ctx.pool, accountOf(request).tenantId, datasetId);
      await removeDocument(deps, datasetId, documentId);
    });
    reply.code(204);
  });
  app.get('/datasets/:datasetId/batch/:batch/indexing-status', async (request) => {
    const { datasetId, batch } = parse(BatchParams, request.params);
    return knowledgeCall(async () => {
      await getDataset(ctx.pool, accountOf(request).tenantId, datasetId);
      return batchStatus(ctx.pool, datasetId, batch);
    });
  });
  app.post('/datasets/:datasetId/hit-testing', async (request) => {
    const { datasetId } = parse(DatasetParams, request.params);
    const body = parse(HitBody, request.body);
    return knowledgeCall(async () =>
      hitTesting(deps, await getDataset(ctx.pool, accountOf(request).tenantId, datasetId), body),
    );
  });
}
