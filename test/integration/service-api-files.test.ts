/**
 * The service API without the model: GET /parameters and /meta, POST /files/upload (multipart,
 * stored under Dify's storage settings, Dify's limits and error codes), and the per-key rate limits
 * (api_rpm and api_rph) — against real PostgreSQL, the PostgreSQL fallback store.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import { createFileUrls } from '../../src/server/services/file-urls.js';
import { tempDir } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { createAppWithKey, json, modelConfig, signIn, type Json } from './apps-fixtures.js';
import { migratedDatabase, SECRET_KEY, serverEnv, settingsFor } from './server-fixtures.js';

let pg: TestPostgres;
let app: DifyApp;
let project: { dir: string; cleanup: () => Promise<void> };
let auth: { authorization: string };
let chat: { appId: string; key: string };
let database: string;
const sql = async <R extends Record<string, unknown>>(text: string) => (await pg.exec<R>(text, database)).rows;

beforeAll(async () => {
  [pg, project] = await Promise.all([startPostgres(), tempDir('difyctl-upload-')]);
  const db = await migratedDatabase(pg);
  database = db.database;
  const env = serverEnv({
    db,
    extra: {
      UPLOAD_IMAGE_FILE_SIZE_LIMIT: '1',
      UPLOAD_FILE_SIZE_LIMIT: '2',
      UPLOAD_FILE_EXTENSION_BLACKLIST: 'exe,bat',
    },
  });
  app = await createApp({ settings: settingsFor(env).settings, redisEnabled: false, baseDir: project.dir });
  auth = await signIn(app);
  chat = await createAppWithKey(app, auth, 'chat');
});
afterAll(async () => {
  await app?.close();
  await pg?.stop();
  await project?.cleanup();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

interface Part {
  name: string;
  value: string | Buffer;
  filename?: string;
  type?: string;
}

/** A multipart/form-data body as an SDK sends it. */
function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = '----difyctl-test-boundary';
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}`;
    const type = part.type ? `Content-Type: ${part.type}\r\n` : '';
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`),
      Buffer.from(part.value),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const upload = (parts: Part[], key = chat.key) => {
  const body = multipart(parts);
  return app.inject({
    method: 'POST',
    url: '/v1/files/upload',
    headers: { ...bearer(key), ...body.headers },
    payload: body.payload,
  });
};
const png = (bytes: number): Buffer =>
  Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(Math.max(0, bytes - 4), 7)]);

describe('GET /parameters and /meta', () => {
  it("answers Dify's parameters from the app's model config and the server's upload limits", async () => {
    expect(
      json(await app.inject({ method: 'GET', url: '/v1/parameters?user=u', headers: bearer(chat.key) })),
    ).toMatchObject({ code: 'app_unavailable', status: 400 });
    const form = [{ 'text-input': { label: 'Name', variable: 'name', required: true, max_length: 30 } }];
    const saved = await app.inject({
      method: 'POST',
      url: `/console/api/apps/${chat.appId}/model-config`,
      headers: auth,
      payload: modelConfig({
        opening_statement: 'Hi!',
        suggested_questions: ['What is tea?'],
        suggested_questions_after_answer: { enabled: true },
        user_input_form: form,
        more_like_this: { enabled: false },
      }),
    });
    expect(saved.statusCode, saved.body).toBe(200);
    const params = json(await app.inject({ method: 'GET', url: '/v1/parameters?user=u', headers: bearer(chat.key) }));
    expect(Object.keys(params)).toEqual([
      'opening_statement',
      'suggested_questions',
      'suggested_questions_after_answer',
      'speech_to_text',
      'text_to_speech',
      'retriever_resource',
      'annotation_reply',
      'more_like_this',
      'user_input_form',
      'sensitive_word_avoidance',
      'file_upload',
      'system_parameters',
    ]);
    expect(params).toMatchObject({
      opening_statement: 'Hi!',
      suggested_questions: ['What is tea?'],
      suggested_questions_after_answer: { enabled: true },
      speech_to_text: { enabled: false },
      annotation_reply: { enabled: false },
      user_input_form: [{ 'text-input': { label: 'Name', variable: 'name', required: true, max_length: 30 } }],
      file_upload: { image: { enabled: false, number_limits: 3 } },
      system_parameters: {
        image_file_size_limit: 1,
        video_file_size_limit: 100,
        audio_file_size_limit: 50,
        file_size_limit: 2,
        workflow_file_upload_limit: 10,
      },
    });
  });

  it('answers /meta with no tool icons and /workflows/run with not_workflow_app', async () => {
    expect(json(await app.inject({ method: 'GET', url: '/v1/meta', headers: bearer(chat.key) }))).toEqual({
      tool_icons: {},
    });
    const run = await app.inject({
      method: 'POST',
      url: '/v1/workflows/run',
      headers: bearer(chat.key),
      payload: { inputs: {}, user: 'u', response_mode: 'blocking' },
    });
    expect(json(run)).toMatchObject({ code: 'not_workflow_app', status: 400 });
  });
});

describe('POST /files/upload', () => {
  it("stores the file under the project's volumes/app/storage and its row, and answers Dify's file fields", async () => {
    const content = png(2048);
    // `user` after the file, as FormData users often append it.
    const res = await upload([
      { name: 'file', value: content, filename: 'cat.png', type: 'image/png' },
      { name: 'user', value: 'alice' },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    const doc = json(res);
    expect(Object.keys(doc)).toEqual([
      'id',
      'name',
      'size',
      'extension',
      'mime_type',
      'created_by',
      'created_at',
      'preview_url',
    ]);
    expect(doc).toMatchObject({ name: 'cat.png', size: 2048, extension: 'png', mime_type: 'image/png' });
    const [row] = await sql<Json>(
      `SELECT u.*, e.session_id FROM upload_files u JOIN end_users e ON e.id = u.created_by WHERE u.id = '${doc.id}'`,
    );
    expect(row).toMatchObject({
      storage_type: 'opendal',
      name: 'cat.png',
      extension: 'png',
      created_by_role: 'end_user',
      created_by: doc.created_by,
      session_id: 'alice',
      used: false,
    });
    expect(row!.key).toMatch(new RegExp(`^upload_files/${row!.tenant_id}/[0-9a-f-]{36}\\.png$`));
    expect(row!.hash).toBe(createHash('sha3-256').update(content).digest('hex'));
    expect(await readFile(path.join(project.dir, 'volumes/app/storage', row!.key as string))).toEqual(content);

    // The signed link the service API hands out for it serves the bytes, without a key.
    const link = createFileUrls({ secretKey: SECRET_KEY, filesUrl: '', accessTimeoutSeconds: 300 }).sign(doc.id);
    const preview = await app.inject({ method: 'GET', url: link });
    expect(preview.statusCode).toBe(200);
    expect(preview.headers['content-type']).toBe('image/png');
    expect(preview.rawPayload).toEqual(content);
    expect(
      (await app.inject({ method: 'GET', url: `${link}&as_attachment=true` })).headers['content-disposition'],
    ).toBe("attachment; filename*=UTF-8''cat.png");
    const forged = createFileUrls({ secretKey: 'another-secret-key', filesUrl: '', accessTimeoutSeconds: 300 }).sign(
      doc.id,
    );
    expect(json(await app.inject({ method: 'GET', url: forged }))).toMatchObject({ code: 'not_found', status: 404 });
    expect((await app.inject({ method: 'GET', url: `/files/${doc.id}/file-preview` })).statusCode).toBe(400);
  });

  it("answers Dify's errors: no file, two files, too large, blocked extension, no MIME type", async () => {
    const err = async (res: Awaited<ReturnType<typeof upload>>) => [res.statusCode, json(res).code];
    expect(await err(await upload([{ name: 'user', value: 'alice' }]))).toEqual([400, 'no_file_uploaded']);
    expect(
      await err(await upload([{ name: 'attachment', value: png(10), filename: 'a.png', type: 'image/png' }])),
    ).toEqual([400, 'no_file_uploaded']);
    const notMultipart = await app.inject({
      method: 'POST',
      url: '/v1/files/upload',
      headers: bearer(chat.key),
      payload: { user: 'alice' },
    });
    expect(await err(notMultipart)).toEqual([400, 'no_file_uploaded']);
    const two = [
      { name: 'file', value: png(10), filename: 'a.png', type: 'image/png' },
      { name: 'file', value: png(10), filename: 'b.png', type: 'image/png' },
    ];
    expect(await err(await upload(two))).toEqual([400, 'too_many_files']);
    // Images may have 1 MB here (UPLOAD_IMAGE_FILE_SIZE_LIMIT=1), other files 2 MB.
    const big = await upload([{ name: 'file', value: png(1024 * 1024 + 1), filename: 'big.png', type: 'image/png' }]);
    expect(await err(big)).toEqual([413, 'file_too_large']);
    expect(json(big).message).toMatch(/^File size exceeded\. .*UPLOAD_IMAGE_FILE_SIZE_LIMIT/);
    expect(
      (
        await upload([
          { name: 'file', value: Buffer.alloc(1024 * 1024 + 1, 65), filename: 'notes.txt', type: 'text/plain' },
        ])
      ).statusCode,
    ).toBe(201);
    expect(
      await err(
        await upload([
          { name: 'file', value: Buffer.alloc(3 * 1024 * 1024, 65), filename: 'huge.txt', type: 'text/plain' },
        ]),
      ),
    ).toEqual([413, 'file_too_large']);
    expect(
      await err(await upload([{ name: 'file', value: 'MZ', filename: 'tool.exe', type: 'application/octet-stream' }])),
    ).toEqual([400, 'file_extension_blocked']);
    expect(await err(await upload([{ name: 'file', value: 'x', filename: 'x.png', type: 'nonsense' }]))).toEqual([
      415,
      'unsupported_file_type',
    ]);
    // Nothing of the refused files was kept.
    const rows = await sql<{ name: string }>(`SELECT name FROM upload_files ORDER BY created_at`);
    expect(rows.map((r) => r.name)).toEqual(['cat.png', 'notes.txt']);
  });
});

describe('per-key rate limits', () => {
  it('answers 429 with Retry-After once a key spends api_rph, and per minute with api_rpm', async () => {
    const limited = await createAppWithKey(app, auth, 'chat', 'hourly');
    await app.inject({
      method: 'PUT',
      url: `/console/api/apps/${limited.appId}`,
      headers: auth,
      payload: { api_rph: 3 },
    });
    const meta = (key: string) => app.inject({ method: 'GET', url: '/v1/meta', headers: bearer(key) });
    for (let i = 0; i < 3; i++) expect((await meta(limited.key)).statusCode).toBe(200);
    const refused = await meta(limited.key);
    expect(refused.statusCode).toBe(429);
    expect(json(refused)).toMatchObject({
      code: 'too_many_requests',
      message: 'Rate limit exceeded: 3 requests per hour for this API key.',
    });
    // The hour's window: more than a minute to wait.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(60);

    await app.inject({
      method: 'PUT',
      url: `/console/api/apps/${limited.appId}`,
      headers: auth,
      payload: { api_rph: 100, api_rpm: 1 },
    });
    const other = json(
      await app.inject({ method: 'POST', url: `/console/api/apps/${limited.appId}/api-keys`, headers: auth }),
    ).token as string;
    expect((await meta(other)).statusCode).toBe(200);
    const perMinute = await meta(other);
    expect(perMinute.statusCode).toBe(429);
    expect(json(perMinute).message).toBe('Rate limit exceeded: 1 requests per minute for this API key.');
    expect(Number(perMinute.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(perMinute.headers['retry-after'])).toBeLessThanOrEqual(60);
  });
});

describe('key usage', () => {
  it('records last_used_at at most once a minute per key (no write per request under load, the key cached per process)', async () => {
    const used = await createAppWithKey(app, auth, 'chat', 'used');
    const lastUsed = async () =>
      (await sql<{ at: Date | null }>(`SELECT last_used_at AS at FROM api_tokens WHERE app_id = '${used.appId}'`))[0]!
        .at;
    const meta = () => app.inject({ method: 'GET', url: '/v1/meta', headers: bearer(used.key) });
    const settled = async (expected: (at: Date | null) => boolean) => {
      for (let i = 0; i < 100 && !expected(await lastUsed()); i++) await new Promise((r) => setTimeout(r, 20));
      return lastUsed();
    };
    await meta();
    expect(await settled((at) => at !== null)).not.toBeNull();
    await sql(`UPDATE api_tokens SET last_used_at = now() - interval '30 seconds' WHERE app_id = '${used.appId}'`);
    const recent = await lastUsed();
    await meta();
    await meta();
    // The next request's check (a read) ends after the fire-and-forget write of this one would have.
    await meta();
    expect(await lastUsed()).toEqual(recent);
    await sql(`UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE app_id = '${used.appId}'`);
    const old = await lastUsed();
    // As when the process's cached answer for the key (APP_KEY_CACHE_TTL_MS) has expired.
    app.difyctx.appKeys.clear();
    await meta();
    expect((await settled((at) => at!.getTime() > old!.getTime()))!.getTime()).toBeGreaterThan(old!.getTime());
  });
});
