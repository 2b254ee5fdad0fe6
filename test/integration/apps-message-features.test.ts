/**
 * Features of the model config that shape an answer: keywords moderation (a preset answer instead of
 * the model; a `message_replace` of an answer) and files (images shown to the model, message_files
 * rows, ignored when the app's file upload is off).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REPLY, startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { createAppWithKey, json, modelConfig } from './apps-fixtures.js';
import { MODEL, sseEvents, startHarness, type Harness } from './apps-harness.js';
import { useServers, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let redis: TestRedis;
let llm: StandIn;
let h: Harness;
useServers((servers) => ({ pg, redis } = servers));
beforeAll(async () => {
  llm = await startStandIn();
  h = await startHarness({ pg, redis, llm });
});
afterAll(async () => {
  await h?.close();
  await llm?.close();
});

async function chatApp(config: Record<string, unknown>) {
  const target = await createAppWithKey(h.app, h.auth, 'chat');
  const saved = await h.app.inject({
    method: 'POST',
    url: `/console/api/apps/${target.appId}/model-config`,
    headers: h.auth,
    payload: modelConfig({ model: MODEL, ...config }),
  });
  expect(saved.statusCode).toBe(200);
  return target;
}
const send = (key: string, payload: object) =>
  h.app.inject({
    method: 'POST',
    url: '/v1/chat-messages',
    headers: { authorization: `Bearer ${key}` },
    payload: { inputs: {}, user: 'u1', ...payload },
  });

describe('keywords moderation', () => {
  const moderation = (side: 'inputs_config' | 'outputs_config', keywords: string) => ({
    sensitive_word_avoidance: {
      enabled: true,
      type: 'keywords',
      config: { keywords, [side]: { enabled: true, preset_response: 'I cannot talk about that.' } },
    },
  });

  it('answers the preset response without calling the model when the query has a keyword', async () => {
    const target = await chatApp(moderation('inputs_config', 'secret\nforbidden'));
    const calls = llm.requests().length;
    const res = await send(target.key, { query: 'Tell me the SECRET', response_mode: 'blocking' });
    expect(json(res)).toMatchObject({ answer: 'I cannot talk about that.' });
    expect(llm.requests()).toHaveLength(calls);
    const [row] = await h.sql<{ answer: string; status: string }>(
      `SELECT answer, status FROM messages WHERE id = '${json(res).message_id}'`,
    );
    expect(row).toEqual({ answer: 'I cannot talk about that.', status: 'normal' });
  });

  it('replaces an answer that has a keyword with message_replace at the end of the stream', async () => {
    const target = await chatApp(moderation('outputs_config', 'stand-in'));
    const events = sseEvents((await send(target.key, { query: 'Hi', response_mode: 'streaming' })).body);
    expect(
      events
        .filter((e) => e.event === 'message')
        .map((e) => e.answer)
        .join(''),
    ).toBe(DEFAULT_REPLY);
    const replace = events.find((e) => e.event === 'message_replace')!;
    expect(Object.keys(replace)).toEqual([
      'event',
      'conversation_id',
      'message_id',
      'created_at',
      'task_id',
      'answer',
      'reason',
    ]);
    expect(replace).toMatchObject({ answer: 'I cannot talk about that.', reason: 'output_moderation' });
    expect(events.at(-1)?.event).toBe('message_end');
    const [row] = await h.sql<{ answer: string }>(`SELECT answer FROM messages WHERE id = '${replace.message_id}'`);
    expect(row?.answer).toBe('I cannot talk about that.');
  });
});

describe('files', () => {
  const upload = {
    file_upload: {
      enabled: true,
      number_limits: 2,
      allowed_file_upload_methods: ['remote_url', 'local_file'],
      image: { enabled: true, number_limits: 2, transfer_methods: ['remote_url', 'local_file'] },
    },
  };

  it('shows remote and uploaded images to the model and records them as message files', async () => {
    const target = await chatApp(upload);
    const png = Buffer.from(
      '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f0e1f60000000049454e44ae426082',
      'hex',
    );
    const key = `upload_files/${h.tenantId}/test-image.png`;
    await h.app.difyctx.storage.save(key, png);
    const [file] = await h.sql<{ id: string }>(
      `INSERT INTO upload_files (tenant_id, key, name, size, extension, mime_type, created_by_role, created_by) VALUES ('${h.tenantId}', '${key}', 'dot.png', ${png.length}, 'png', 'image/png', 'end_user', gen_random_uuid()) RETURNING id`,
    );
    const res = await send(target.key, {
      query: 'What is in these?',
      files: [
        { type: 'image', transfer_method: 'remote_url', url: 'https://example.com/cat.png' },
        { type: 'image', transfer_method: 'local_file', upload_file_id: file!.id },
      ],
    });
    expect(res.statusCode).toBe(200);
    const sent = llm.requests().at(-1)?.body as { messages: Array<{ role: string; content: unknown }> };
    const content = JSON.stringify(sent.messages.at(-1)?.content);
    expect(content).toContain('https://example.com/cat.png');
    expect(content).toContain(`data:image/png;base64,${png.toString('base64')}`);
    const rows = await h.sql<{
      transfer_method: string;
      belongs_to: string;
      url: string | null;
      upload_file_id: string | null;
    }>(
      `SELECT transfer_method, belongs_to, url, upload_file_id FROM message_files WHERE message_id = '${json(res).message_id}' ORDER BY transfer_method DESC`,
    );
    expect(rows).toEqual([
      { transfer_method: 'remote_url', belongs_to: 'user', url: 'https://example.com/cat.png', upload_file_id: null },
      { transfer_method: 'local_file', belongs_to: 'user', url: null, upload_file_id: file!.id },
    ]);
  });

  it('refuses an unknown upload and too many files, and ignores files when the app’s upload is off', async () => {
    const target = await chatApp(upload);
    const unknown = await send(target.key, {
      query: 'x',
      files: [{ type: 'image', transfer_method: 'local_file', upload_file_id: '00000000-0000-4000-8000-000000000000' }],
    });
    expect(json(unknown)).toMatchObject({ code: 'invalid_param', message: 'Invalid upload file' });
    const many = await send(target.key, {
      query: 'x',
      files: Array.from({ length: 3 }, () => ({
        type: 'image',
        transfer_method: 'remote_url',
        url: 'https://example.com/a.png',
      })),
    });
    expect(json(many)).toMatchObject({ code: 'invalid_param', message: 'files: at most 2 files are allowed' });

    const off = await chatApp({});
    const res = await send(off.key, {
      query: 'x',
      files: [{ type: 'image', transfer_method: 'remote_url', url: 'https://example.com/a.png' }],
    });
    expect(res.statusCode).toBe(200);
    expect(await h.sql(`SELECT id FROM message_files WHERE message_id = '${json(res).message_id}'`)).toEqual([]);
    expect(JSON.stringify(llm.requests().at(-1)?.body)).not.toContain('example.com');
  });
});
