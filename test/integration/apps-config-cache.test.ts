/**
 * A process remembers an app's config for its generations (src/apps/model-config/cache.ts). These
 * tests prove what another process does to the app is seen by the very next generation: a new config
 * saved elsewhere, and the app deleted elsewhere. Two app instances, each with its own pool, as two
 * api processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DifyApp } from '../../src/server/app.js';
import { startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { json, modelConfig } from './apps-fixtures.js';
import { MODEL, startHarness, type Harness } from './apps-harness.js';
import { useServers, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let redis: TestRedis;
useServers((servers) => ({ pg, redis } = servers));

describe('the app config a process remembers', () => {
  let llm: StandIn;
  let h: Harness;
  let other: DifyApp;
  beforeAll(async () => {
    llm = await startStandIn();
    h = await startHarness({ pg, redis, llm });
    other = await h.second();
  });
  afterAll(async () => {
    await h?.close();
    await llm?.close();
  });

  const ask = (app: DifyApp, query: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/chat-messages',
      headers: { authorization: `Bearer ${h.chat.key}` },
      payload: { inputs: { name: 'Ada' }, query, user: 'cache-user', response_mode: 'blocking' },
    });
  /** The system prompt of the stand-in's last chat request. */
  const lastSystemPrompt = (): string => {
    const chats = llm.requests().filter((r) => r.path === '/v1/chat/completions');
    const body = chats.at(-1)?.body as { messages: Array<{ role: string; content: string }> };
    return body.messages.find((m) => m.role === 'system')?.content ?? '';
  };

  it('answers with a config saved by another process on its very next generation', async () => {
    expect((await ask(other, 'First question')).statusCode).toBe(200);
    expect(lastSystemPrompt()).toBe('You talk to Ada.');
    // The config is saved through the first instance; the other one remembered the old config.
    const saved = await h.app.inject({
      method: 'POST',
      url: `/console/api/apps/${h.chat.appId}/model-config`,
      headers: h.auth,
      payload: modelConfig({
        model: MODEL,
        pre_prompt: 'You answer {{name}} in verse.',
        user_input_form: [{ 'text-input': { label: 'Name', variable: 'name', required: true, max_length: 30 } }],
      }),
    });
    expect(saved.statusCode).toBe(200);
    const res = await ask(other, 'Second question');
    expect(res.statusCode).toBe(200);
    expect(lastSystemPrompt()).toBe('You answer Ada in verse.');
    const [row] = await h.sql<{ current: boolean }>(
      `SELECT c.app_model_config_id = a.app_model_config_id AS current
         FROM conversations c JOIN apps a ON a.id = c.app_id WHERE c.id = '${json(res).conversation_id}'`,
    );
    expect(row).toEqual({ current: true });
  });

  it('writes nothing for an app another process deleted meanwhile', async () => {
    expect((await ask(other, 'Before the deletion')).statusCode).toBe(200);
    const messages = async () =>
      Number((await h.sql<{ n: string }>(`SELECT count(*) AS n FROM messages WHERE app_id = '${h.chat.appId}'`))[0]!.n);
    const before = await messages();
    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `/console/api/apps/${h.chat.appId}`,
      headers: h.auth,
    });
    expect(deleted.statusCode).toBe(204);
    // The deletion reaches the other process through NOTIFY, which races this request: either the
    // other process has heard it (the key is gone: 401) or it still holds the key and the config, and
    // the message's write refuses the deleted app (400 app_unavailable). Either way nothing is written.
    const res = await ask(other, 'After the deletion');
    const outcome = res.statusCode === 401 ? 401 : { status: res.statusCode, code: json(res).code };
    expect([401, { status: 400, code: 'app_unavailable' }]).toContainEqual(outcome);
    expect(await messages()).toBe(before);
  });
});
