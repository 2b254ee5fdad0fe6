import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import type pg from 'pg';
import type { Settings } from '../../config/schema.js';
import { HttpError, badRequest } from '../http-error.js';
import type { FileStorage } from './file-storage.js';
import { unixSeconds } from './unix-time.js';

/** Dify's extension groups (api/constants): each has its own size limit. */
export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'svg'];
export const VIDEO_EXTENSIONS = ['mp4', 'mov', 'mpeg', 'webm'];
export const AUDIO_EXTENSIONS = ['mp3', 'm4a', 'wav', 'amr', 'mpga'];

export type UploadLimits = Pick<
  Settings,
  | 'UPLOAD_FILE_SIZE_LIMIT'
  | 'UPLOAD_IMAGE_FILE_SIZE_LIMIT'
  | 'UPLOAD_VIDEO_FILE_SIZE_LIMIT'
  | 'UPLOAD_AUDIO_FILE_SIZE_LIMIT'
  | 'UPLOAD_FILE_EXTENSION_BLACKLIST'
>;

/** The extension Dify stores: after the last dot, lower case, without the dot. */
export const extensionOf = (filename: string): string => path.extname(filename).slice(1).toLowerCase();

/** The size limit of a file, by its extension, in bytes, and the setting that sets it. */
export function sizeLimit(limits: UploadLimits, extension: string): { bytes: number; setting: keyof UploadLimits } {
  const ext = extension.toLowerCase();
  const setting: keyof UploadLimits = IMAGE_EXTENSIONS.includes(ext)
    ? 'UPLOAD_IMAGE_FILE_SIZE_LIMIT'
    : VIDEO_EXTENSIONS.includes(ext)
      ? 'UPLOAD_VIDEO_FILE_SIZE_LIMIT'
      : AUDIO_EXTENSIONS.includes(ext)
        ? 'UPLOAD_AUDIO_FILE_SIZE_LIMIT'
        : 'UPLOAD_FILE_SIZE_LIMIT';
  return { bytes: Number(limits[setting]) * 1024 * 1024, setting };
}

/** The largest file any extension may have: the multipart parser stops reading past it. */
export const largestLimit = (limits: UploadLimits): number =>
  Math.max(
    ...(
      [
        'UPLOAD_FILE_SIZE_LIMIT',
        'UPLOAD_IMAGE_FILE_SIZE_LIMIT',
        'UPLOAD_VIDEO_FILE_SIZE_LIMIT',
        'UPLOAD_AUDIO_FILE_SIZE_LIMIT',
      ] as const
    ).map((k) => limits[k]),
  ) *
  1024 *
  1024;

export const fileTooLarge = (detail: string): HttpError =>
  new HttpError(413, 'file_too_large', `File size exceeded. ${detail}`);
export const noFileUploaded = (): HttpError => new HttpError(400, 'no_file_uploaded', 'Please upload your file.');
export const tooManyFiles = (): HttpError => new HttpError(400, 'too_many_files', 'Only one file is allowed.');

/** @fastify/multipart's own limit errors, as Dify's upload errors; `tooLarge` is the 413's detail. */
export function multipartFault(error: unknown, tooLarge: string): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'FST_FILES_LIMIT') return tooManyFiles();
  if (code === 'FST_REQ_FILE_TOO_LARGE') return fileTooLarge(tooLarge);
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return noFileUploaded();
  return error;
}

const blacklist = (limits: UploadLimits): string[] =>
  limits.UPLOAD_FILE_EXTENSION_BLACKLIST.split(',')
    .map((e) => e.trim().replace(/^\./, '').toLowerCase())
    .filter(Boolean);

/** A MIME type as RFC 6838 writes it: `type/subtype`. */
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

/**
 * Checks a file before it is stored, as Dify's FileService does: a name without path separators, an
 * extension not on UPLOAD_FILE_EXTENSION_BLACKLIST, a MIME type, the size limit of its kind.
 * @throws HttpError 400 filename_not_exists_error / invalid_param / file_extension_blocked, 415 unsupported_file_type, 413 file_too_large
 */
export function checkUpload(
  limits: UploadLimits,
  file: { filename: string; mimetype: string; size: number },
): { extension: string; name: string } {
  if (!file.filename) throw new HttpError(400, 'filename_not_exists_error', 'The specified filename does not exist.');
  if (/[/\\]/.test(file.filename)) throw badRequest('Filename contains invalid characters');
  if (!MIME.test(file.mimetype)) throw new HttpError(415, 'unsupported_file_type', 'File type not allowed.');
  const extension = extensionOf(file.filename);
  if (extension && blacklist(limits).includes(extension))
    throw new HttpError(400, 'file_extension_blocked', 'The file extension is blocked for security reasons.');
  const limit = sizeLimit(limits, extension);
  if (file.size > limit.bytes)
    throw fileTooLarge(
      `${file.size} bytes > ${limit.bytes} bytes (${limit.setting}=${limits[limit.setting]} MB for .${extension || '(none)'} files).`,
    );
  // Dify keeps names to 200 characters (the extension survives).
  const name =
    file.filename.length > 200 ? `${file.filename.split('.')[0]!.slice(0, 200)}.${extension}` : file.filename;
  return { extension, name };
}

/**
 * Stores an uploaded file (storage first, then its row: a row never points at nothing) and returns
 * Dify's `file_fields`. The storage key is `upload_files/<tenant>/<uuid>.<ext>`, as in Dify.
 */
/**
 * Stores a checked upload: the file first, then its upload_files row (the file is removed again when
 * the row cannot be written). `used` marks a file already attached (a knowledge document's).
 */
export async function storeUploadFile(
  deps: { pool: pg.Pool; storage: FileStorage },
  input: {
    tenantId: string;
    name: string;
    extension: string;
    mimetype: string;
    content: Buffer;
    createdBy: { role: 'account' | 'end_user'; id: string };
    used?: boolean;
  },
): Promise<{ id: string; created_at: Date }> {
  const key = `upload_files/${input.tenantId}/${randomUUID()}.${input.extension}`;
  await deps.storage.save(key, input.content);
  try {
    const { rows } = await deps.pool.query<{ id: string; created_at: Date }>(
      `INSERT INTO upload_files (tenant_id, storage_type, key, name, size, extension, mime_type, hash, created_by_role, created_by, used, used_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::boolean, CASE WHEN $11::boolean THEN now() END)
       RETURNING id, created_at`,
      [
        input.tenantId,
        deps.storage.type,
        key,
        input.name,
        input.content.length,
        input.extension,
        input.mimetype,
        createHash('sha3-256').update(input.content).digest('hex'),
        input.createdBy.role,
        input.createdBy.id,
        input.used ?? false,
      ],
    );
    return rows[0]!;
  } catch (error) {
    await deps.storage.delete(key).catch(() => {});
    throw error;
  }
}

export async function saveUpload(
  deps: { pool: pg.Pool; storage: FileStorage; limits: UploadLimits },
  input: { tenantId: string; endUserId: string; filename: string; mimetype: string; content: Buffer },
) {
  const { extension, name } = checkUpload(deps.limits, {
    filename: input.filename,
    mimetype: input.mimetype,
    size: input.content.length,
  });
  const row = await storeUploadFile(deps, {
    tenantId: input.tenantId,
    name,
    extension,
    mimetype: input.mimetype,
    content: input.content,
    createdBy: { role: 'end_user', id: input.endUserId },
  });
  return {
    id: row.id,
    name,
    size: input.content.length,
    extension,
    mime_type: input.mimetype,
    created_by: input.endUserId,
    created_at: unixSeconds(row.created_at),
    preview_url: null,
  };
}
