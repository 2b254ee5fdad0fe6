import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { notFound } from '../http-error.js';
import { createFileUrls } from '../services/file-urls.js';
import { parse, uuidParam } from './validate.js';

const Params = z.object({ fileId: uuidParam });
const Query = z.object({
  timestamp: z.string().max(20),
  nonce: z.string().max(128),
  sign: z.string().max(128),
  as_attachment: z.enum(['true', 'false']).optional(),
});

const invalid = () => notFound('File not found or signature is invalid');

/**
 * GET /files/<id>/file-preview — an uploaded file by the signed link the service API hands out in
 * `message_files[].url` (Dify's FilePreviewApi). No key: the signature and its age are the access check.
 */
export async function fileRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const urls = createFileUrls({
    secretKey: ctx.settings.SECRET_KEY,
    filesUrl: ctx.settings.FILES_URL,
    accessTimeoutSeconds: ctx.settings.FILES_ACCESS_TIMEOUT,
  });
  app.get('/files/:fileId/file-preview', { config: { auth: 'none' } }, async (request, reply) => {
    const { fileId } = parse(Params, request.params);
    const q = parse(Query, request.query);
    if (!urls.verify({ uploadFileId: fileId, timestamp: q.timestamp, nonce: q.nonce, sign: q.sign })) throw invalid();
    const { rows } = await ctx.pool.query<{ key: string; name: string; mime_type: string | null }>(
      'SELECT key, name, mime_type FROM upload_files WHERE id = $1',
      [fileId],
    );
    const file = rows[0];
    if (!file) throw invalid();
    const bytes = await ctx.storage.load(file.key).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw invalid();
      throw error;
    });
    reply.header('Content-Type', file.mime_type || 'application/octet-stream');
    if (q.as_attachment === 'true')
      reply.header('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`);
    return reply.send(bytes);
  });
}
