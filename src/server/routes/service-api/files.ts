import type { FastifyInstance, FastifyRequest } from 'fastify';
import { resolveEndUser } from '../../../apps/end-users.js';
import type { AppContext } from '../../context.js';
import {
  extensionOf,
  fileTooLarge,
  largestLimit,
  multipartFault,
  noFileUploaded,
  tooManyFiles,
  saveUpload,
  sizeLimit,
} from '../../services/upload-files.js';
import { appOf } from './end-user.js';

interface Upload {
  filename: string;
  mimetype: string;
  content: Buffer;
}

/**
 * Reads the form: one `file` part (kept in memory up to its kind's size limit, the rest drained so
 * the client reads the answer rather than a reset) and the `user` field, in any order.
 */
async function readForm(
  request: FastifyRequest,
  limits: AppContext['settings'],
): Promise<{ file?: Upload; user?: string; oversized?: { size: number; limit: number; setting: string } }> {
  let file: Upload | undefined;
  let user: string | undefined;
  let oversized: { size: number; limit: number; setting: string } | undefined;
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      if (part.fieldname === 'user' && typeof part.value === 'string') user = part.value;
      continue;
    }
    // Only the `file` field is the upload (Dify reads request.files['file']); others are skipped.
    if (part.fieldname !== 'file') {
      for await (const _chunk of part.file) void _chunk;
      continue;
    }
    if (file || oversized) {
      part.file.resume();
      throw tooManyFiles();
    }
    const limit = sizeLimit(limits, extensionOf(part.filename));
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of part.file as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= limit.bytes) chunks.push(chunk);
    }
    if (size > limit.bytes) oversized = { size, limit: limit.bytes, setting: limit.setting };
    else file = { filename: part.filename, mimetype: part.mimetype, content: Buffer.concat(chunks) };
  }
  return { file, user, oversized };
}

/** POST /files/upload — one file per request, multipart, stored under Dify's storage settings. */
export async function fileRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const maxBytes = largestLimit(ctx.settings);
  // Multipart is accepted on this route only: every other /v1 route stays JSON-only.
  await app.register(async (scope) => {
    const { default: multipart } = await import('@fastify/multipart');
    await scope.register(multipart, {
      limits: { fileSize: maxBytes, files: 1, fields: 20, parts: 40, fieldSize: 64 * 1024 },
    });
    scope.post('/files/upload', async (request, reply) => {
      const { appId, tenantId } = appOf(request);
      if (!request.isMultipart()) throw noFileUploaded();
      const form = await readForm(request, ctx.settings).catch((error: unknown) => {
        throw multipartFault(error, `The largest file allowed is ${maxBytes} bytes.`);
      });
      if (form.oversized)
        throw fileTooLarge(`${form.oversized.size} bytes > ${form.oversized.limit} bytes (${form.oversized.setting}).`);
      if (!form.file) throw noFileUploaded();
      const endUser = await resolveEndUser(ctx.pool, { tenantId, appId, user: form.user });
      const saved = await saveUpload(
        { pool: ctx.pool, storage: ctx.storage, limits: ctx.settings },
        { tenantId, endUserId: endUser.id, ...form.file },
      );
      reply.code(201);
      return saved;
    });
  });
}
