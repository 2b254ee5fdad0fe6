import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type DifyApp } from '../../src/server/app.js';
import { DEFAULT_REPLY, startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { ADMIN, migratedDatabase, serverEnv, settingsFor } from './server-fixtures.js';

const KEY = 'sk-console-good-key-0123456789';
let server: TestPostgres;
let llm: StandIn;
let app: DifyApp;
let auth: { authorization: string };
let tenantId: string;
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, any>;
const base = '/console/api/workspaces/current';

beforeAll(async () => {
  [server, llm] = await Promise.all([startPostgres(), startStandIn({ apiKeys: [KEY] })]);
  const db = await migratedDatabase(server);
  const { settings } = settingsFor(serverEnv({ db }));
  app = await createApp({ settings, redisEnabled: false });
  await app.inject({ method: 'POST', url: '/console/api/setup', payload: ADMIN });
  auth = {
    authorization: `Bearer ${json(await app.inject({ method: 'POST', url: '/console/api/login', payload: ADMIN })).data.access_token}`,
  };
  tenantId = (await app.difyctx.pool.query<{ id: string }>('SELECT id FROM tenants LIMIT 1')).rows[0]!.id;
}, 60_000);
afterAll(async () => {
  await app?.close();
  await Promise.all([llm?.close(), server?.stop()]);
});

const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  app.inject({
    method,
    url: `${base}${url}`,
    headers: auth,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

describe('console: model providers', () => {
  it('lists the built-in providers in Dify 1.x shape, filtered by model type', async () => {
    const res = await call('GET', '/model-providers');
    expect(res.statusCode).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
    const data = json(res).data as Array<Record<string, any>>;
    expect(data.map((p) => p.provider)).toEqual([
      'openai',
      'anthropic',
      'azure_openai',
      'ollama',
      'openai_api_compatible',
    ]);
    const openai = data[0]!;
    expect(openai).toMatchObject({
      tenant_id: tenantId,
      label: { en_US: 'OpenAI' },
      supported_model_types: ['llm', 'text-embedding'],
      configurate_methods: ['predefined-model', 'customizable-model'],
      preferred_provider_type: 'custom',
      custom_configuration: { status: 'no-configure', current_credential_id: null, available_credentials: [] },
      system_configuration: { enabled: false },
    });
    expect(
      openai.provider_credential_schema.credential_form_schemas.map(
        (f: { variable: string; type: string }) => `${f.variable}:${f.type}`,
      ),
    ).toEqual(['openai_api_key:secret-input', 'openai_organization:text-input', 'openai_api_base:text-input']);
    const ollama = data.find((p) => p.provider === 'ollama')!;
    expect(ollama.model_credential_schema.credential_form_schemas.map((f: { variable: string }) => f.variable)).toEqual(
      ['base_url', 'mode', 'context_size', 'max_tokens'],
    );
    const embedders = json(await call('GET', '/model-providers?model_type=text-embedding')).data as Array<{
      provider: string;
    }>;
    expect(embedders.map((p) => p.provider)).not.toContain('anthropic');
    expect(json(await call('GET', '/model-providers?model_type=tts')).data).toEqual([]);
  });

  it('validates credentials with a real request; a refused key is a 400 and nothing is stored', async () => {
    const bad = await call('POST', '/model-providers/openai/credentials', {
      credentials: { openai_api_key: 'sk-wrong-key-000000000', openai_api_base: llm.url },
    });
    expect(bad.statusCode).toBe(400);
    expect(json(bad)).toMatchObject({
      code: 'invalid_param',
      message: '[openai] Incorrect model credentials provided, please check and try again. ',
      status: 400,
    });
    expect(json(await call('GET', '/model-providers/openai/credentials'))).toEqual({ credentials: null });
    expect(
      json(
        await call('POST', '/model-providers/openai/credentials/validate', {
          credentials: { openai_api_key: 'sk-wrong-key-000000000', openai_api_base: llm.url },
        }),
      ),
    ).toEqual({
      result: 'error',
      error: '[openai] Incorrect model credentials provided, please check and try again. ',
    });
    expect(
      json(
        await call('POST', '/model-providers/openai/credentials/validate', {
          credentials: { openai_api_key: KEY, openai_api_base: llm.url },
        }),
      ),
    ).toEqual({ result: 'success' });
    const missing = await call('POST', '/model-providers/openai/credentials', {
      credentials: { openai_api_base: llm.url },
    });
    expect(json(missing)).toMatchObject({ code: 'invalid_param', message: 'Variable openai_api_key is required' });
  });

  it('stores credentials encrypted, shows them obfuscated, and [__HIDDEN__] keeps the stored key', async () => {
    const created = await call('POST', '/model-providers/openai/credentials', {
      credentials: { openai_api_key: KEY, openai_api_base: llm.url },
    });
    expect(created.statusCode).toBe(201);
    expect(json(created)).toEqual({ result: 'success' });
    expect(json(await call('GET', '/model-providers/openai/credentials'))).toEqual({
      credentials: { openai_api_key: 'sk-con************89', openai_api_base: llm.url },
    });
    const stored = await app.difyctx.pool.query<{ encrypted_config: string; credential_name: string }>(
      `SELECT encrypted_config, credential_name FROM provider_credentials WHERE provider_name = 'openai'`,
    );
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]!.credential_name).toBe('API KEY 1');
    expect(stored.rows[0]!.encrypted_config).not.toContain(KEY);
    expect(JSON.parse(stored.rows[0]!.encrypted_config).openai_api_key).toMatch(/^aesgcm:v1:/);

    // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
    const provider = (json(await call('GET', '/model-providers')).data as Array<Record<string, any>>).find(
      (p) => p.provider === 'openai',
    )!;
    expect(provider.custom_configuration).toMatchObject({
      status: 'active',
      current_credential_name: 'API KEY 1',
      available_credentials: [{ credential_name: 'API KEY 1' }],
    });
    const credentialId = provider.custom_configuration.current_credential_id as string;

    const updated = await call('PUT', '/model-providers/openai/credentials', {
      credential_id: credentialId,
      credentials: { openai_api_key: '[__HIDDEN__]', openai_api_base: llm.url, openai_organization: 'org-1' },
      name: 'main',
    });
    expect(updated.statusCode).toBe(200);
    expect(json(await call('GET', '/model-providers/openai/credentials'))).toEqual({
      credentials: { openai_api_key: 'sk-con************89', openai_api_base: llm.url, openai_organization: 'org-1' },
    });
    const answer = await app.difyctx.modelRuntime.invokeLlm({
      tenantId,
      provider: 'openai',
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    }).result;
    expect(answer.text).toBe(DEFAULT_REPLY);
    const hiddenWithoutStored = await call('PUT', '/model-providers/openai/credentials', {
      credential_id: '00000000-0000-4000-8000-000000000000',
      credentials: { openai_api_key: '[__HIDDEN__]' },
    });
    expect(json(hiddenWithoutStored)).toMatchObject({ code: 'invalid_param', message: 'Credential record not found.' });
  });

  it("keeps 0.15's forms: a second POST becomes the active credential, the newest left takes over from a deleted active one, DELETE without a body removes them all", async () => {
    expect(
      (
        await call('POST', '/model-providers/openai/credentials', {
          credentials: { openai_api_key: KEY, openai_api_base: `${llm.url}/` },
        })
      ).statusCode,
    ).toBe(201);
    // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
    const provider = (json(await call('GET', '/model-providers')).data as Array<Record<string, any>>).find(
      (p) => p.provider === 'openai',
    )!;
    expect(provider.custom_configuration.current_credential_name).toBe('API KEY 2');
    expect(provider.custom_configuration.available_credentials).toHaveLength(2);
    const first = provider.custom_configuration.available_credentials.find(
      (c: { credential_name: string }) => c.credential_name === 'main',
    ).credential_id as string;
    expect(
      json(await call('GET', `/model-providers/openai/credentials?credential_id=${first}`)).credentials
        .openai_organization,
    ).toBe('org-1');
    // A third, then back to the first: deleting it must hand over to the newest left (the third).
    expect(
      (
        await call('POST', '/model-providers/openai/credentials', {
          credentials: { openai_api_key: KEY, openai_api_base: `${llm.url}/` },
        })
      ).statusCode,
    ).toBe(201);
    expect(json(await call('POST', '/model-providers/openai/credentials/switch', { credential_id: first }))).toEqual({
      result: 'success',
    });
    expect(json(await call('GET', '/model-providers/openai/credentials')).credentials.openai_organization).toBe(
      'org-1',
    );

    expect((await call('DELETE', '/model-providers/openai/credentials', { credential_id: first })).statusCode).toBe(
      204,
    );
    // The deleted credential was the active one: the newest of the remaining ones takes over.
    expect(json(await call('GET', '/model-providers/openai/credentials')).credentials).toEqual({
      openai_api_key: 'sk-con************89',
      openai_api_base: `${llm.url}/`,
    });
    expect(
      // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
      (json(await call('GET', '/model-providers')).data as Array<Record<string, any>>).find(
        (p) => p.provider === 'openai',
      )!.custom_configuration.current_credential_name,
    ).toBe('API KEY 3');
    expect(
      (await app.inject({ method: 'DELETE', url: `${base}/model-providers/openai/credentials`, headers: auth }))
        .statusCode,
    ).toBe(204);
    expect(json(await call('GET', '/model-providers/openai/credentials'))).toEqual({ credentials: null });
    const gone = await app.difyctx.modelRuntime
      .invokeLlm({ tenantId, provider: 'openai', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .result.catch((e: unknown) => e);
    expect(gone).toMatchObject({ code: 'provider_not_initialize' });
  });

  it('custom models: 0.15 POST models with credentials, 1.x models/credentials, switch, delete', async () => {
    const credentials = { endpoint_url: llm.openaiBaseUrl, api_key: KEY, mode: 'chat', context_size: '16000' };
    const saved = await call('POST', '/model-providers/openai_api_compatible/models', {
      model: 'local-chat',
      model_type: 'llm',
      credentials,
    });
    expect(saved.statusCode).toBe(200);
    expect(json(saved)).toEqual({ result: 'success' });
    const models = json(await call('GET', '/model-providers/openai_api_compatible/models')).data as Array<
      // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
      Record<string, any>
    >;
    expect(models).toEqual([
      {
        model: 'local-chat',
        label: { en_US: 'local-chat', zh_Hans: 'local-chat' },
        model_type: 'llm',
        features: [],
        fetch_from: 'customizable-model',
        model_properties: { mode: 'chat', context_size: 16000 },
        deprecated: false,
        status: 'active',
        load_balancing_enabled: false,
        has_invalid_load_balancing_configs: false,
      },
    ]);
    const shown = json(
      await call('GET', '/model-providers/openai_api_compatible/models/credentials?model=local-chat&model_type=llm'),
    );
    expect(shown).toMatchObject({
      credentials: { ...credentials, api_key: 'sk-con************89' },
      current_credential_name: 'API KEY 1',
      load_balancing: { enabled: false, configs: [] },
    });
    expect(shown.available_credentials).toHaveLength(1);

    const second = await call('POST', '/model-providers/openai_api_compatible/models/credentials', {
      model: 'local-chat',
      model_type: 'llm',
      credentials: { ...credentials, api_key: '[__HIDDEN__]', context_size: '8000' },
      name: 'small',
    });
    expect(second.statusCode).toBe(201);
    const after = json(
      await call('GET', '/model-providers/openai_api_compatible/models/credentials?model=local-chat&model_type=llm'),
    );
    expect(after).toMatchObject({
      current_credential_name: 'small',
      credentials: { context_size: '8000', api_key: 'sk-con************89' },
    });
    expect(
      await app.difyctx.modelRuntime.contextSize({ tenantId, provider: 'openai_api_compatible', model: 'local-chat' }),
    ).toBe(8000);
    const firstId = after.available_credentials.find(
      (c: { credential_name: string }) => c.credential_name === 'API KEY 1',
    ).credential_id as string;
    // 1.x: POST models with config_from custom-model + credential_id picks the model's credential.
    expect(
      json(
        await call('POST', '/model-providers/openai_api_compatible/models', {
          model: 'local-chat',
          model_type: 'llm',
          config_from: 'custom-model',
          credential_id: firstId,
        }),
      ),
    ).toEqual({ result: 'success' });
    expect(
      json(
        await call('GET', '/model-providers/openai_api_compatible/models/credentials?model=local-chat&model_type=llm'),
      ).current_credential_id,
    ).toBe(firstId);
    expect(
      (
        await call('DELETE', '/model-providers/openai_api_compatible/models/credentials', {
          model: 'local-chat',
          model_type: 'llm',
          credential_id: firstId,
        })
      ).statusCode,
    ).toBe(204);
    expect(
      json(
        await call('GET', '/model-providers/openai_api_compatible/models/credentials?model=local-chat&model_type=llm'),
      ).current_credential_name,
    ).toBe('small');
    expect(
      json(
        await call('POST', '/model-providers/openai_api_compatible/models/credentials/validate', {
          model: 'local-chat',
          model_type: 'llm',
          credentials: { ...credentials, api_key: 'sk-nope' },
        }),
      ).result,
    ).toBe('error');

    const answer = await app.difyctx.modelRuntime.invokeLlm({
      tenantId,
      provider: 'openai_api_compatible',
      model: 'local-chat',
      messages: [{ role: 'user', content: 'hi' }],
    }).result;
    expect(answer.text).toBe(DEFAULT_REPLY);

    expect(
      (
        await call('DELETE', '/model-providers/openai_api_compatible/models', {
          model: 'local-chat',
          model_type: 'llm',
        })
      ).statusCode,
    ).toBe(204);
    expect(json(await call('GET', '/model-providers/openai_api_compatible/models')).data).toEqual([]);
  });

  it('models by type and the default model (inferred, then set; only an active model can be the default)', async () => {
    await call('POST', '/model-providers/openai_api_compatible/models', {
      model: 'chat-a',
      model_type: 'llm',
      credentials: { endpoint_url: llm.openaiBaseUrl, api_key: KEY, mode: 'chat' },
    });
    await call('POST', '/model-providers/openai_api_compatible/models', {
      model: 'chat-b',
      model_type: 'llm',
      credentials: { endpoint_url: llm.openaiBaseUrl, api_key: KEY, mode: 'completion' },
    });
    await call('POST', '/model-providers/openai_api_compatible/models', {
      model: 'embed-a',
      model_type: 'text-embedding',
      credentials: { endpoint_url: llm.openaiBaseUrl, api_key: KEY },
    });

    // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
    const llms = json(await call('GET', '/models/model-types/llm')).data as Array<Record<string, any>>;
    // Predefined models are listed unconfigured (status no-configure), as Dify 0.15 lists them.
    expect(llms.map((p) => p.provider)).toEqual(['openai', 'anthropic', 'openai_api_compatible']);
    const compatible = llms.find((p) => p.provider === 'openai_api_compatible')!;
    expect(compatible).toMatchObject({
      tenant_id: tenantId,
      status: 'active',
      label: { en_US: 'OpenAI-API-compatible' },
    });
    expect(
      compatible.models.map(
        (m: { model: string; model_properties: { mode: string } }) => `${m.model}:${m.model_properties.mode}`,
      ),
    ).toEqual(['chat-a:chat', 'chat-b:completion']);
    expect(
      (llms.find((p) => p.provider === 'openai')!.models as Array<{ status: string }>).every(
        (m) => m.status === 'no-configure',
      ),
    ).toBe(true);
    expect(
      (
        json(await call('GET', '/models/model-types/text-embedding')).data as Array<{
          provider: string;
          models: unknown[];
        }>
      ).find((p) => p.provider === 'openai_api_compatible')!.models,
    ).toHaveLength(1);
    expect(json(await call('GET', '/models/model-types/rerank')).data).toEqual([]);

    const inferred = json(await call('GET', '/default-model?model_type=llm')).data;
    expect(inferred).toMatchObject({
      model: 'chat-a',
      model_type: 'llm',
      provider: {
        provider: 'openai_api_compatible',
        tenant_id: tenantId,
        supported_model_types: ['llm', 'text-embedding'],
      },
    });
    expect(
      json(
        await call('POST', '/default-model', {
          model_settings: [
            { model_type: 'llm', provider: 'openai_api_compatible', model: 'chat-b' },
            { model_type: 'text-embedding', provider: null, model: '' },
          ],
        }),
      ),
    ).toEqual({ result: 'success' });
    expect(json(await call('GET', '/default-model?model_type=llm')).data).toMatchObject({
      model: 'chat-b',
      provider: { provider: 'openai_api_compatible' },
    });
    expect(await app.difyctx.modelRuntime.defaultModel(tenantId, 'llm')).toEqual({
      provider: 'openai_api_compatible',
      model: 'chat-b',
    });
    const inactive = await call('POST', '/default-model', {
      model_settings: [{ model_type: 'llm', provider: 'openai', model: 'gpt-4o' }],
    });
    expect(inactive.statusCode).toBe(400);
    expect(json(inactive)).toMatchObject({ code: 'invalid_param', message: 'Model gpt-4o does not exist.' });
    expect(json(await call('GET', '/default-model?model_type=tts')).data).toBeNull();
  });

  it('bad input is a 400 naming the field; no session is a 401', async () => {
    expect(json(await call('GET', '/default-model?model_type=banana'))).toMatchObject({
      code: 'invalid_param',
      status: 400,
      message: expect.stringMatching(/^model_type: /),
    });
    expect(json(await call('GET', '/default-model'))).toMatchObject({
      code: 'invalid_param',
      message: expect.stringMatching(/^model_type: /),
    });
    expect(
      json(await call('PUT', '/model-providers/openai/credentials', { credential_id: 'nope', credentials: {} })),
    ).toMatchObject({ code: 'invalid_param', message: 'credential_id: must be a UUID' });
    expect(json(await call('POST', '/model-providers/openai/credentials', { credentials: 'sk-x' }))).toMatchObject({
      code: 'invalid_param',
      message: expect.stringMatching(/^credentials: /),
    });
    expect(json(await call('POST', '/model-providers/nope/credentials', { credentials: {} }))).toMatchObject({
      code: 'invalid_param',
      message: 'Provider nope does not exist.',
    });
    expect(
      json(
        await call('POST', '/model-providers/ollama/models/credentials', {
          model: 'x',
          model_type: 'llm',
          credentials: { base_url: llm.url, mode: 'poetry' },
        }),
      ),
    ).toMatchObject({ code: 'invalid_param', message: expect.stringMatching(/^Variable mode is not in options/) });
    expect(
      json(
        await call('POST', '/model-providers/anthropic/models', {
          model: 'x',
          model_type: 'text-embedding',
          credentials: {},
        }),
      ),
    ).toMatchObject({ code: 'invalid_param' });
    expect((await app.inject({ method: 'GET', url: `${base}/model-providers` })).statusCode).toBe(401);
  });
});
