import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { newBatch } from '../../../knowledge/documents.js';
import { datasetJson, getDataset } from '../../../knowledge/index.js';
import { addTextDocument } from '../../../knowledge/service.js';
import type { AppContext } from '../../context.js';
import { accountOf } from '../../hooks/auth.js';
import { badRequest, HttpError } from '../../http-error.js';
import { saveDatasetFile } from '../../services/dataset-files.js';
import { multipartFault, noFileUploaded } from '../../services/upload-files.js';
import { unixSeconds } from '../../services/unix-time.js';
import { knowledgeCall, knowledgeDeps } from '../service-api/datasets/deps.js';
import { DatasetParams } from '../service-api/datasets/schemas.js';
import { parse, uuidParam } from '../validate.js';

/** Dify's console body for documents from uploaded files (`DatasetDocumentListApi.post`). */
const CreateDocuments = z.object({
  data_source: z.object({
    type: z.literal('upload_file', { message: 'only upload_file data sources are supported' }),
    info_list: z.object({
      data_source_type: z.literal('upload_file'),
      file_info_list: z.object({ file_ids: z.array(uuidParam).min(1).max(50) }),
    }),
  }),
  indexing_technique: z.enum(['high_quality', 'economy']).nullish(),
  process_rule: z.unknown().optional(),
  doc_form: z.string().max(32).optional(),
  doc_language: z.string().max(64).optional(),
});

const fileNotFound = (): HttpError => new HttpError(404, 'file_not_found', 'File not found.');

/**
 * The console's way to a knowledge document: `POST /files/upload?source=datasets` (multipart, one
 * `file`), then `POST /datasets/<id>/documents` naming the uploads; the documents of one call share a
 * batch, whose `indexing-status` the console polls.
 */
export async function datasetDocumentRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps = knowledgeDeps(ctx);
  const maxBytes = ctx.settings.UPLOAD_FILE_SIZE_LIMIT * 1024 * 1024;
  const tooLarge = `The largest file allowed is ${maxBytes} bytes (UPLOAD_FILE_SIZE_LIMIT).`;
  await app.register(async (scope) => {
    const { default: multipart } = await import('@fastify/multipart');
    await scope.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 10, parts: 20 } });
    scope.post('/files/upload', async (request, reply) => {
      const { source } = request.query as { source?: string };
      if (source !== 'datasets') throw badRequest('source: the console uploads knowledge documents (source=datasets)');
      if (!request.isMultipart()) throw noFileUploaded();
      const part = await request.file().catch((error: unknown) => {
        throw multipartFault(error, tooLarge);
      });
      if (part?.fieldname !== 'file') throw noFileUploaded();
      const content = await part.toBuffer().catch((error: unknown) => {
        throw multipartFault(error, tooLarge);
      });
      const who = accountOf(request);
      const file = await saveDatasetFile(
        { pool: ctx.pool, storage: ctx.storage, limits: ctx.settings },
        { tenantId: who.tenantId, accountId: who.accountId, filename: part.filename, mimetype: part.mimetype, content },
      );
      reply.code(201);
      return {
        id: file.id,
        name: file.name,
        size: file.size,
        extension: file.extension,
        mime_type: file.mimetype,
        created_by: file.createdBy,
        created_at: unixSeconds(file.created_at),
      };
    });
  });

  app.post('/datasets/:datasetId/documents', async (request) => {
    const { datasetId } = parse(DatasetParams, request.params);
    const body = parse(CreateDocuments, request.body);
    const who = accountOf(request);
    return knowledgeCall(async () => {
      let dataset = await getDataset(ctx.pool, who.tenantId, datasetId);
      const ids = body.data_source.info_list.file_info_list.file_ids;
      const { rows: files } = await ctx.pool.query<{ id: string; name: string; extension: string }>(
        'SELECT id, name, extension FROM upload_files WHERE tenant_id = $1 AND id = ANY($2::uuid[])',
        [who.tenantId, ids],
      );
      const byId = new Map(files.map((f) => [f.id, f]));
      if (ids.some((id) => !byId.has(id))) throw fileNotFound();
      const batch = newBatch();
      const documents: unknown[] = [];
      for (const id of ids) {
        const file = byId.get(id)!;
        const created = await addTextDocument(deps, dataset, {
          name: file.name,
          file,
          process_rule: body.process_rule,
          indexing_technique: body.indexing_technique ?? null,
          doc_form: body.doc_form,
          doc_language: body.doc_language,
          batch,
          createdBy: who.accountId,
        });
        documents.push(created.document);
        // The first document of a dataset without an indexing technique set it (and its embedding model).
        if (!dataset.indexing_technique) dataset = await getDataset(ctx.pool, who.tenantId, datasetId);
      }
      return { dataset: datasetJson(dataset), documents, batch };
    });
  });
}
