import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAppConfig } from '../../src/apps/model-config/index.js';
import { createApp, type DifyApp } from '../../src/server/app.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { createAppWithKey, json, modelConfig, signIn } from './apps-fixtures.js';
import { migratedDatabase, serverEnv, settingsFor, useServers, type TestRedis } from './server-fixtures.js';

let pg: TestPostgres;
let redis: TestRedis;
useServers((servers) => ({ pg, redis } = servers));

describe('app model config (console API)', () => {
  let app: DifyApp;
  let auth: { authorization: string };

  beforeAll(async () => {
    const db = await migratedDatabase(pg);
    const { settings } = settingsFor(serverEnv({ db, redis }));
    app = await createApp({ settings, redisEnabled: true });
    auth = await signIn(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  const save = (appId: string, payload: unknown) =>
    app.inject({
      method: 'POST',
      url: `/console/api/apps/${appId}/model-config`,
      headers: auth,
      payload: payload as object,
    });

  it('saves a new config row per save, repoints the app, and shows the config with Dify defaults', async () => {
    const { appId } = await createAppWithKey(app, auth, 'chat');
    expect(
      json(await app.inject({ method: 'GET', url: `/console/api/apps/${appId}`, headers: auth })).model_config,
    ).toBeNull();

    const form = [
      { 'text-input': { label: 'Name', variable: 'name', required: true, max_length: 20 } },
      { select: { label: 'Tone', variable: 'tone', options: ['dry', 'warm'], default: 'warm' } },
    ];
    const first = await save(
      appId,
      modelConfig({
        pre_prompt: 'Greet {{name}} in a {{tone}} tone.',
        user_input_form: form,
        opening_statement: 'Hi!',
        suggested_questions: ['What?'],
      }),
    );
    expect(first.statusCode).toBe(200);
    expect(json(first)).toEqual({ result: 'success' });
    const second = await save(appId, modelConfig({ pre_prompt: 'Second.', unknown_key: 1 }));
    expect(second.statusCode).toBe(200);

    const rows = await pg.exec<{ id: string; pre_prompt: string }>(
      `SELECT id, pre_prompt FROM app_model_configs WHERE app_id = '${appId}' ORDER BY created_at`,
      app.difyctx.settings.DB_DATABASE,
    );
    expect(rows.rows.map((r) => r.pre_prompt)).toEqual(['Greet {{name}} in a {{tone}} tone.', 'Second.']);
    const pointed = await pg.exec<{ app_model_config_id: string }>(
      `SELECT app_model_config_id FROM apps WHERE id = '${appId}'`,
      app.difyctx.settings.DB_DATABASE,
    );
    expect(pointed.rows[0]?.app_model_config_id).toBe(rows.rows[1]?.id);

    const detail = json(await app.inject({ method: 'GET', url: `/console/api/apps/${appId}`, headers: auth }));
    expect(detail.model_config).toMatchObject({
      pre_prompt: 'Second.',
      prompt_type: 'simple',
      model: {
        provider: 'openai_api_compatible',
        name: 'stand-in-model',
        mode: 'chat',
        completion_params: { stop: [], max_tokens: 256 },
      },
      suggested_questions_after_answer: { enabled: false },
      speech_to_text: { enabled: false },
      retriever_resource: { enabled: false },
      annotation_reply: { enabled: false },
      sensitive_word_avoidance: { enabled: false },
      user_input_form: [],
      opening_statement: '',
    });
    expect(detail.model_config).not.toHaveProperty('unknown_key');
    expect(detail.model_config).not.toHaveProperty('more_like_this', { enabled: true });

    // The loader the service API uses: the current config, with every to_dict key.
    const loaded = await loadAppConfig(app.difyctx.pool, appId);
    expect(loaded).toMatchObject({ appId, mode: 'chat', configId: rows.rows[1]?.id });
    expect(Object.keys(loaded!.config!)).toHaveLength(20);
  });

  it('keeps completion-only keys for completion apps and refuses a workflow app', async () => {
    const { appId } = await createAppWithKey(app, auth, 'completion');
    expect(
      (await save(appId, modelConfig({ more_like_this: { enabled: true }, opening_statement: 'dropped' }))).statusCode,
    ).toBe(200);
    const config = (await loadAppConfig(app.difyctx.pool, appId))!.config!;
    expect(config.more_like_this).toEqual({ enabled: true });
    expect(config.opening_statement).toBeNull();

    const workflow = await createAppWithKey(app, auth, 'workflow');
    const refused = await save(workflow.appId, modelConfig());
    expect(json(refused)).toMatchObject({ code: 'app_unavailable', status: 400 });
  });

  it.each([
    [{ pre_prompt: 'x' }, 'model is required'],
    [modelConfig({ model: { name: 'm', completion_params: {} } }), 'model.provider'],
    [modelConfig({ model: { provider: 'openai', completion_params: {} } }), 'model.name'],
    [
      modelConfig({ model: { provider: 'openai', name: 'm', completion_params: { stop: ['a', 'b', 'c', 'd', 'e'] } } }),
      'stop sequences must be less than 4',
    ],
    [
      modelConfig({ user_input_form: [{ 'text-input': { label: 'x', variable: '1abc' } }] }),
      'user_input_form.0.text-input.variable',
    ],
    [modelConfig({ user_input_form: [{ nope: { label: 'x', variable: 'v' } }] }), 'user_input_form.0'],
    [
      modelConfig({ user_input_form: [{ select: { label: 'x', variable: 'v', options: ['a'], default: 'b' } }] }),
      'default value in user_input_form must be in the options list',
    ],
    [modelConfig({ prompt_type: 'advanced' }), 'chat_prompt_config or completion_prompt_config is required'],
    [modelConfig({ suggested_questions: [1] }), 'suggested_questions.0'],
    [modelConfig({ sensitive_word_avoidance: { enabled: true } }), 'sensitive_word_avoidance.type'],
  ])('refuses a bad config with invalid_param naming the field (%#)', async (payload, message) => {
    const { appId } = await createAppWithKey(app, auth, 'chat');
    const res = await save(appId, payload);
    expect(res.statusCode).toBe(400);
    expect(json(res)).toMatchObject({ code: 'invalid_param', status: 400 });
    expect(json(res).message).toContain(message);
  });

  it('answers 404 for an app of another workspace or none', async () => {
    const res = await save('00000000-0000-4000-8000-000000000000', modelConfig());
    expect(res.statusCode).toBe(404);
    expect(json(res).code).toBe('app_not_found');
  });
});
