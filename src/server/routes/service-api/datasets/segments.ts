import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getDataset } from '../../../../knowledge/index.js';
import { createSegments, deleteSegment, getSegment, updateSegment } from '../../../../knowledge/segments.js';
import type { AppContext } from '../../../context.js';
import { parse, uuidParam } from '../../validate.js';
import { knowledgeCall, knowledgeDeps, workspaceOf } from './deps.js';
import { DocumentParams } from './schemas.js';

const SegmentParams = DocumentParams.extend({ segmentId: uuidParam });
const CreateBody = z.object({ segments: z.array(z.unknown()).nullish() });
const UpdateBody = z.object({
  segment: z.object(
    {
      content: z.string().nullish(),
      answer: z.string().nullish(),
      keywords: z.array(z.string()).nullish(),
      enabled: z.boolean().nullish(),
    },
    { message: 'is required' },
  ),
});

/** Knowledge API: segments of a document (Dify's service_api/dataset/segment.py; the list is in documents.ts). */
export async function segmentRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps = knowledgeDeps(ctx);
  const base = '/datasets/:datasetId/documents/:documentId/segments';
  app.post(base, async (request) => {
    const { datasetId, documentId } = parse(DocumentParams, request.params);
    const { segments } = parse(CreateBody, request.body ?? {});
    const tenantId = workspaceOf(request);
    return knowledgeCall(async () =>
      createSegments(deps, await getDataset(ctx.pool, tenantId, datasetId), documentId, segments),
    );
  });
  app.get(`${base}/:segmentId`, async (request) => {
    const { datasetId, documentId, segmentId } = parse(SegmentParams, request.params);
    const tenantId = workspaceOf(request);
    return knowledgeCall(async () =>
      getSegment(ctx.pool, await getDataset(ctx.pool, tenantId, datasetId), documentId, segmentId),
    );
  });
  app.post(`${base}/:segmentId`, async (request) => {
    const { datasetId, documentId, segmentId } = parse(SegmentParams, request.params);
    const { segment } = parse(UpdateBody, request.body ?? {});
    const tenantId = workspaceOf(request);
    return knowledgeCall(async () =>
      updateSegment(deps, await getDataset(ctx.pool, tenantId, datasetId), documentId, segmentId, {
        content: segment.content ?? undefined,
        answer: segment.answer ?? undefined,
        keywords: segment.keywords ?? undefined,
        enabled: segment.enabled ?? undefined,
      }),
    );
  });
  app.delete(`${base}/:segmentId`, async (request, reply) => {
    const { datasetId, documentId, segmentId } = parse(SegmentParams, request.params);
    const tenantId = workspaceOf(request);
    await knowledgeCall(async () =>
      deleteSegment(deps, await getDataset(ctx.pool, tenantId, datasetId), documentId, segmentId),
    );
    reply.code(204);
  });
}
