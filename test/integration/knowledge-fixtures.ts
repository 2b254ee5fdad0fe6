/**
 * What the Knowledge API file tests share: Dify's create-/update-by-file form, and a worker on the
 * `dataset` queue that reads the harness's uploaded files.
 */
import { silentLogger } from '../../src/server/logger.js';
import { type RunningWorker, startWorker } from '../../src/server/worker/run-worker.js';
import type { Harness } from './apps-harness.js';
import { serverEnv, settingsFor, type TestRedis } from './server-fixtures.js';

const BOUNDARY = '----knowledge-test-boundary';

/** A multipart body with a `file` part (`type`: application/octet-stream unless given) and a `data` field. */
export function fileForm(
  file: { name: string; type?: string; content: Buffer },
  data: object,
): { payload: Buffer; headers: Record<string, string> } {
  const payload = Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="data"\r\n\r\n${JSON.stringify(data)}\r\n`),
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`,
    ),
    file.content,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } };
}

/** A worker on the `dataset` queue whose file storage is the harness's own (it reads what the API stored). */
export function startFileWorker(h: Harness, redis: TestRedis): Promise<RunningWorker> {
  const root = h.app.difyctx.storage.root;
  return startWorker({
    server: settingsFor(serverEnv({ db: h.db, redis, extra: { OPENDAL_FS_ROOT: root, STORAGE_LOCAL_PATH: root } })),
    queues: ['dataset'],
    logger: silentLogger(),
    runtime: h.app.difyctx.modelRuntime,
  });
}
