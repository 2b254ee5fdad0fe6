import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type DatasetRow, getDataset, resolveProcessRule } from '../../../../knowledge/index.js';
import { addTextDocument, updatableDocument, updateTextDocument } from '../../../../knowledge/service.js';
import type { AppContext } from '../../../context.js';
import { badRequest } from '../../../http-error.js';
import { saveDatasetFile } from '../../../services/dataset-files.js';
import { fileTooLarge, multipartFault, noFileUploaded, tooManyFiles } from '../../../services/upload-files.js';
import { parse } from '../../validate.js';
import { DatasetParams, DocumentParams } from './schemas.js';
import { knowledgeCall, knowledgeDeps, workspaceOf } from './deps.js';

interface Form {
  file?: { filename: string; mimetype: string; content: Buffer };
  data: Record<string, unknown>;
}

/** The `file` part and the `data` field (a JSON object, Dify's create-by-file form). */
async function readForm(request: FastifyRequest): Promise<Form> {
  const form: Form = { data: {} };
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      if (part.fieldname !== 'data') continue;
      try {
        const value: unknown = JSON.parse(String(part.value));
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
        form.data = value as Record<string, unknown>;
      } catch {
        throw badRequest('data: must be a JSON object');
      }
      continue;
    }
    if (part.fieldname !== 'file' || form.file) {
      part.file.resume();
      if (form.file) throw tooManyFiles();
      continue;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of part.file as AsyncIterable<Buffer>) chunks.push(chunk);
    if ((part.file as { truncated?: boolean }).truncated)
      throw fileTooLarge('The file is larger than UPLOAD_FILE_SIZE_LIMIT.');
    form.file = { filename: part.filename, mimetype: part.mimetype, content: Buffer.concat(chunks) };
  }
  return form;
}

/**
 * `document/create-by-file` and `documents/<id>/update-by-file` (and their underscore aliases): one
 * file and its `data` JSON, multipart.
 */
export async function byFileRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps = knowledgeDeps(ctx);
  const maxBytes = ctx.settings.UPLOAD_FILE_SIZE_LIMIT * 1024 * 1024;
  const tooLarge = `The largest file allowed is ${maxBytes} bytes (UPLOAD_FILE_SIZE_LIMIT).`;
  /**
   * The form of a by-file request, checked, with its file stored: what create and update share.
   * `known`: the dataset the caller already read (update checks it before the upload).
   */
  const receive = async (request: FastifyRequest, datasetId: string, known?: DatasetRow) => {
    const tenantId = workspaceOf(request);
    if (!request.isMultipart()) throw noFileUploaded();
    const form = await readForm(request).catch((error: unknown) => {
      throw multipartFault(error, tooLarge);
    });
    if (!form.file) throw noFileUploaded();
    const upload = form.file;
    return knowledgeCall(async () => {
      const dataset = known ?? (await getDataset(ctx.pool, tenantId, datasetId));
      resolveProcessRule(form.data.process_rule);
      const technique = form.data.indexing_technique;
      if (technique !== undefined && technique !== null && technique !== 'high_quality' && technique !== 'economy')
        throw badRequest('indexing_technique: must be high_quality or economy');
      const file = await saveDatasetFile(
        { pool: ctx.pool, storage: ctx.storage, limits: ctx.settings },
        { tenantId, ...upload },
      );
      // The cast: the check above left only these values.
      return { dataset, file, data: form.data, technique: (technique ?? null) as 'high_quality' | 'economy' | null };
    });
  };
  await app.register(async (scope) => {
    const { default: multipart } = await import('@fastify/multipart');
    await scope.register(multipart, {
      limits: { fileSize: maxBytes, files: 1, fields: 10, parts: 20, fieldSize: 256 * 1024 },
    });
    for (const url of [
      '/datasets/:datasetId/document/create-by-file',
      '/datasets/:datasetId/document/create_by_file',
    ]) {
      scope.post(url, async (request) => {
        const { datasetId } = parse(DatasetParams, request.params);
        const { dataset, file, data, technique } = await receive(request, datasetId);
        return knowledgeCall(async () =>
          addTextDocument(deps, dataset, {
            name: file.name,
            file,
            process_rule: data.process_rule,
            indexing_technique: technique,
            doc_language: typeof data.doc_language === 'string' ? data.doc_language : undefined,
          }),
        );
      });
    }
    for (const url of [
      '/datasets/:datasetId/documents/:documentId/update-by-file',
      '/datasets/:datasetId/documents/:documentId/update_by_file',
    ]) {
      scope.post(url, async (request) => {
        const { datasetId, documentId } = parse(DocumentParams, request.params);
        // Checked before the file is stored: a refused update leaves no upload behind.
        const known = await knowledgeCall(async () => {
          const dataset = await getDataset(ctx.pool, workspaceOf(request), datasetId);
          await updatableDocument(ctx.pool, datasetId, documentId);
          return dataset;
        });
        const { dataset, file, data } = await receive(request, datasetId, known);
        return knowledgeCall(async () =>
          updateTextDocument(deps, dataset, documentId, {
            name: typeof data.name === 'string' && data.name ? data.name : file.name,
            file,
            process_rule: data.process_rule,
          }),
        );
      });
    }
  });
}
