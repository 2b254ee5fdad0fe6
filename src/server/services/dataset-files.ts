import type pg from 'pg';
import { DOCUMENT_EXTENSIONS } from '../../knowledge/parse.js';
import { HttpError } from '../http-error.js';
import type { FileStorage } from './file-storage.js';
import { checkUpload, storeUploadFile, type UploadLimits } from './upload-files.js';

/**
 * Stores a knowledge document's file (Dify's FileService.upload_file with source `datasets`): the
 * checks of every upload, then only extensions a parser reads (415 otherwise), storage first, then
 * its upload_files row, created by the workspace's owner (a knowledge key has no account).
 */
export async function saveDatasetFile(
  deps: { pool: pg.Pool; storage: FileStorage; limits: UploadLimits },
  input: { tenantId: string; filename: string; mimetype: string; content: Buffer; accountId?: string },
) {
  const { extension, name } = checkUpload(deps.limits, {
    filename: input.filename,
    mimetype: input.mimetype,
    size: input.content.length,
  });
  if (!DOCUMENT_EXTENSIONS.includes(extension))
    throw new HttpError(415, 'unsupported_file_type', 'File type not allowed.');
  const owner = input.accountId ?? (await workspaceOwner(deps.pool, input.tenantId));
  if (!owner) throw new HttpError(400, 'invalid_param', 'The workspace has no member to own the file.');
  const { id, created_at } = await storeUploadFile(deps, {
    tenantId: input.tenantId,
    name,
    extension,
    mimetype: input.mimetype,
    content: input.content,
    createdBy: { role: 'account', id: owner },
    used: true,
  });
  return { id, name, extension, size: input.content.length, mimetype: input.mimetype, createdBy: owner, created_at };
}

/** The account a knowledge key's upload is recorded as created by: the workspace's owner (or its first member). */
async function workspaceOwner(pool: pg.Pool, tenantId: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ account_id: string }>(
    `SELECT account_id FROM tenant_account_joins WHERE tenant_id = $1 ORDER BY (role = 'owner') DESC, created_at LIMIT 1`,
    [tenantId],
  );
  return rows[0]?.account_id;
}
