import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Settings } from '../../config/schema.js';

/** Where uploaded files live: Dify's storage keys (`upload_files/<tenant>/<uuid>.<ext>`) under one root. */
export interface FileStorage {
  /** Dify's `storage_type` column value. */
  readonly type: 'opendal' | 'local';
  /** The absolute folder the keys resolve under. */
  readonly root: string;
  save(key: string, content: Buffer): Promise<void>;
  load(key: string): Promise<Buffer>;
  delete(key: string): Promise<void>;
}

/**
 * The storage root from Dify's settings: OPENDAL_FS_ROOT (STORAGE_TYPE=opendal, fs scheme) or
 * STORAGE_LOCAL_PATH (STORAGE_TYPE=local). A relative root is relative to the project's
 * `volumes/app`: Dify runs from /app/api and its compose mounts ./volumes/app/storage at
 * /app/api/storage, so the default `storage` lands in volumes/app/storage as with docker compose.
 */
export function storageRoot(
  settings: Pick<Settings, 'STORAGE_TYPE' | 'STORAGE_LOCAL_PATH' | 'OPENDAL_FS_ROOT'>,
  projectDir: string,
): string {
  const configured = settings.STORAGE_TYPE === 'local' ? settings.STORAGE_LOCAL_PATH : settings.OPENDAL_FS_ROOT;
  return path.isAbsolute(configured) ? configured : path.resolve(projectDir, 'volumes/app', configured);
}

/** Keys are made by the server, but a key must never leave the root (`..`, absolute paths). */
function resolveKey(root: string, key: string): string {
  const full = path.resolve(root, key);
  if (!full.startsWith(root + path.sep)) throw new Error(`storage key ${JSON.stringify(key)} leaves the storage root`);
  return full;
}

/** The file system storage (OpenDAL's fs scheme and Dify's local storage behave alike). */
export function createFileStorage(
  settings: Pick<Settings, 'STORAGE_TYPE' | 'STORAGE_LOCAL_PATH' | 'OPENDAL_FS_ROOT'>,
  projectDir: string,
): FileStorage {
  const root = storageRoot(settings, projectDir);
  return {
    type: settings.STORAGE_TYPE,
    root,
    save: async (key, content) => {
      const full = resolveKey(root, key);
      await mkdir(path.dirname(full), { recursive: true });
      // Written aside, then renamed: a reader never sees half a file, a crash leaves no partial key.
      const partial = `${full}.${randomUUID()}.partial`;
      try {
        await writeFile(partial, content, { flag: 'wx' });
        await rename(partial, full);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
    },
    load: (key) => readFile(resolveKey(root, key)),
    delete: (key) => rm(resolveKey(root, key), { force: true }),
  };
}
