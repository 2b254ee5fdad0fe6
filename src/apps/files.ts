/**
 * A request's `files` (Dify's file mappings): used only when the app's file upload is enabled (as
 * Dify ignores them otherwise), at most its number limit, uploaded files of this workspace only.
 * Each becomes a `message_files` row of the user; images are shown to the model (remote URLs as
 * they are, uploaded images as data: URLs read from storage).
 */
import type pg from 'pg';
import { invalidParam } from './errors.js';
import type { AppModelConfigDict } from './model-config/index.js';

export interface FileMapping {
  type: string;
  transfer_method: 'remote_url' | 'local_file' | 'tool_file';
  url?: string | null;
  upload_file_id?: string | null;
}

/** A file of the message as its `message_files` row keeps it. */
export interface MessageFile {
  type: string;
  transferMethod: 'remote_url' | 'local_file';
  url: string | null;
  uploadFileId: string | null;
}

export interface ResolvedFiles {
  files: MessageFile[];
  /** http(s) or data: URLs of the images, for vision models. */
  images: string[];
}

/** Reads an uploaded file's bytes by its storage key (the server's file storage). */
export type LoadUpload = (key: string) => Promise<Buffer>;

interface UploadConfig {
  enabled?: boolean;
  number_limits?: number;
  image?: { enabled?: boolean; number_limits?: number };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function resolveFiles(
  deps: { pool: pg.Pool; loadUpload?: LoadUpload },
  input: { tenantId: string; config: AppModelConfigDict; files?: FileMapping[] | null },
): Promise<ResolvedFiles> {
  // file_upload is passed through as saved (0.15 and 1.x shapes): read the keys both have.
  const upload = input.config.file_upload as UploadConfig;
  const enabled = Boolean(upload.enabled || upload.image?.enabled);
  if (!enabled || !input.files?.length) return { files: [], images: [] };
  const limit = upload.number_limits ?? upload.image?.number_limits ?? 3;
  if (input.files.length > limit) throw invalidParam(`files: at most ${limit} files are allowed`);
  const resolved: ResolvedFiles = { files: [], images: [] };
  for (const [index, file] of input.files.entries()) {
    if (file.transfer_method === 'remote_url') {
      if (!file.url || !/^https?:\/\//.test(file.url)) throw invalidParam(`files.${index}.url: must be an http(s) URL`);
      resolved.files.push({ type: file.type, transferMethod: 'remote_url', url: file.url, uploadFileId: null });
      if (file.type === 'image') resolved.images.push(file.url);
      continue;
    }
    if (file.transfer_method !== 'local_file')
      throw invalidParam(`files.${index}.transfer_method: must be remote_url or local_file`);
    if (!file.upload_file_id || !UUID.test(file.upload_file_id))
      throw invalidParam(`files.${index}.upload_file_id: must be the id of an uploaded file`);
    const { rows } = await deps.pool.query<{ key: string; mime_type: string | null }>(
      'SELECT key, mime_type FROM upload_files WHERE id = $1 AND tenant_id = $2',
      [file.upload_file_id, input.tenantId],
    );
    const row = rows[0];
    if (!row) throw invalidParam('Invalid upload file');
    resolved.files.push({
      type: file.type,
      transferMethod: 'local_file',
      url: null,
      uploadFileId: file.upload_file_id,
    });
    if (file.type === 'image' && deps.loadUpload) {
      const bytes = await deps.loadUpload(row.key);
      resolved.images.push(`data:${row.mime_type || 'image/png'};base64,${bytes.toString('base64')}`);
    }
  }
  return resolved;
}
