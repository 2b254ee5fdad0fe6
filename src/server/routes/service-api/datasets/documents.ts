import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  batchStatus,
  documentJson,
  getDataset,
  getDocument,
  listDocuments,
  listSegments,
} from '../../../../knowledge/index.js';
import {
  addTextDocument,
  removeDocument,
  setDocumentsStatus,
  updateTextDocument,
} from '../../../../knowledge/service.js';
import type { AppContext } from '../../../context.js';
import { parse, uuidParam } from '../../validate.js';
import { knowledgeCall, knowledgeDeps, workspaceOf } from './deps.js';
import { BatchParams, DatasetParams, DocumentParams, Paging } from './schemas.js';

const ByText = z.object({
  name: z.string({ message: 'is required' }).min(1, 'is required').max(255),
  text: z.string({ message: 'is required' }),
  process_rule: z.unknown().optional(),
  indexing_technique: z.enum(['high_quality', 'economy']).nullish(),
  doc_form: z.enum(['text_model']).optional(),
  doc_language: z.string().max(100).optional(),
});
const ActionParams = z.object({ datasetId: uuidParam, action: z.string().max(20) });
const StatusBody = z.object({ document_ids: z.array(uuidParam).min(1, 'is required').max(100) });
const UpdateByText = z.object({
  name: z.string().min(1).max(255).nullish(),
  text: z.string().nullish(),
  process_rule: z.unknown().optional(),
});
const SegmentQuery = Paging.extend({
  status: z.enum(['waiting', 'indexing', 'completed', 'error', 're_segment']).optional(),
});

/** Knowledge API: documents (Dify's service_api/dataset/document.py). */
export async function documentRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps = knowledgeDeps(ctx);
  for (const url of ['/datasets/:datasetId/document/create-by-text', '/datasets/:datasetId/document/create_by_text']) {
    app.post(url, async (request) => {
      const { datasetId } = parse(DatasetParams, request.params);
      const body = parse(ByText, request.body);
      const tenantId = workspaceOf(request);
      return knowledgeCall(async () => addTextDocument(deps, await getDataset(ctx.pool, tenantId, datasetId), body));
    });
  }
  for (const url of [
    '/datasets/:datasetId/documents/:documentId/update-by-text',
    '/datasets/:datasetId/documents/:documentId/update_by_text',
  ]) {
    app.post(url, async (request) => {
      const { datasetId, documentId } = parse(DocumentParams, request.params);
      const body = parse(UpdateByText, request.body);
      const tenantId = workspaceOf(request);
      return knowledgeCall(async () =>
        updateTextDocument(deps, await getDataset(ctx.pool, tenantId, datasetId), documentId, body),
      );
    });
  }
  app.get('/datasets/:datasetId/documents/:documentId/segments', async (request) => {
    const { datasetId, documentId } = parse(DocumentParams, request.params);
    const query = parse(SegmentQuery, request.query);
    const tenantId = workspaceOf(request);
    return knowledgeCall(async () => {
      await getDataset(ctx.pool, tenantId, datasetId);
      await getDocument(ctx.pool, datasetId, documentId);
      return listSegments(ctx.pool, { documentId, ...query });
    });
  });
  app.patch('/datasets/:datasetId/documents/status/:action', async (request) => {
    const { datasetId, action } = parse(ActionParams, request.params);
    const { document_ids } = parse(StatusBody, request.body);
    const tenantId = workspaceOf(request);
    return knowledgeCall(async () => {
      await getDataset(ctx.pool, tenantId, datasetId);
      return setDocumentsStatus(deps, datasetId, action, document_ids);
    });
  });
  app.get('/datasets/:datasetId/documents', async (request) => {
    const { datasetId } = parse(DatasetParams, request.params);
    const query = parse(Paging, request.query);
    const tenantId = workspaceOf(request);
    return knowledgeCall(async () => {
      await getDataset(ctx.pool, tenantId, datasetId);
      return listDocuments(ctx.pool, { datasetId, ...query });
    });
  });
  app.get('/datasets/:datasetId/documents/:documentId', async (request) => {
    const { datasetId, documentId } = parse(DocumentParams, request.params);
    const tenantId = workspaceOf(request);
    return knowledgeCall(async () => {
      await getDataset(ctx.pool, tenantId, datasetId);
      return documentJson(await getDocument(ctx.pool, datasetId, documentId));
    });
  });
  app.delete('/datasets/:datasetId/documents/:documentId', async (request, reply) => {
    const { datasetId, documentId } = parse(DocumentParams, request.params);
    const tenantId = workspaceOf(request);
    await knowledgeCall(async () => {
      await getDataset(ctx.pool, tenantId, datasetId);
      await removeDocument(deps, datasetId, documentId);
    });
    reply.code(204);
  });
  app.get('/datasets/:datasetId/documents/:batch/indexing-status', async (request) => {
    const { datasetId, batch } = parse(BatchParams, request.params);
    const tenantId = workspaceOf(request);
    return knowledgeCall(async () => {
      await getDataset(ctx.pool, tenantId, datasetId);
      return batchStatus(ctx.pool, datasetId, batch);
    });
  });
}
