/**
 * Dify DSL import and export through the console API on a real server (PostgreSQL, Redis, the LLM
 * stand-in behind the `openai` provider): real DSL files exported from Dify (test/fixtures/dsl/,
 * see PROVENANCE.md) import, answer, export, and import again to the same file.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DSL_MAX_SIZE } from '../../src/apps/dsl/index.js';
import { DEFAULT_REPLY, startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { createAppWithKey, json, type Json } from './apps-fixtures.js';
import { startHarness, type Harness } from './apps-harness.js';
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

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/dsl/${name}`, import.meta.url), 'utf8');
const importYaml = (yaml: string, extra: Json = {}) =>
  h.app.inject({
    method: 'POST',
    url: '/console/api/apps/imports',
    headers: h.auth,
    payload: { mode: 'yaml-content', yaml_content: yaml, ...extra },
  });
const exportApp = async (appId: string): Promise<string> => {
  const res = await h.app.inject({
    method: 'GET',
    url: `/console/api/apps/${appId}/export?include_secret=false`,
    headers: h.auth,
  });
  expect(res.statusCode, res.body).toBe(200);
  return json(res).data as string;
};
const appCount = async (): Promise<number> =>
  Number((await h.sql<{ n: string }>(`SELECT count(*) AS n FROM apps`))[0]!.n);

describe('Dify DSL import and export (console API)', () => {
  it.each([
    ['ai-front-end-interviewer.chat.yml', 'chat', 'AI Front-end interviewer'],
    ['strategic-consulting-expert.chat.yml', 'chat', 'Strategic Consulting Expert'],
    ['code-converter.completion.yml', 'completion', 'Code Converter'],
  ])('imports the Dify export %s, exports it, and the export imports to the same file', async (name, mode, appName) => {
    const original = parse(fixture(name)) as Json;
    const res = await importYaml(fixture(name));
    expect(res.statusCode, res.body).toBe(200);
    const result = json(res);
    expect(result).toMatchObject({
      status: 'completed-with-warnings',
      app_mode: mode,
      current_dsl_version: '0.3.1',
      imported_dsl_version: '0.1.0',
      error: '',
    });
    // openai has credentials in this workspace: the only warning is the older DSL version.
    expect(result.warnings.map((w: Json) => w.code)).toEqual(['dsl_version_older']);
    const detail = json(
      await h.app.inject({ method: 'GET', url: `/console/api/apps/${result.app_id}`, headers: h.auth }),
    );
    expect(detail).toMatchObject({
      name: appName,
      mode,
      icon: '🤖',
      icon_type: 'emoji',
      icon_background: original.app.icon_background,
      enable_api: true,
      enable_site: true,
    });
    expect(detail.model_config).toMatchObject({
      pre_prompt: original.model_config.pre_prompt,
      model: {
        provider: 'openai',
        name: original.model_config.model.name,
        completion_params: original.model_config.model.completion_params,
      },
    });

    const first = await exportApp(result.app_id);
    const exported = parse(first) as Json;
    expect(exported).toMatchObject({
      kind: 'app',
      version: '0.3.1',
      dependencies: [],
      app: {
        name: appName,
        mode,
        icon: '🤖',
        icon_background: original.app.icon_background,
        use_icon_as_answer_icon: false,
      },
    });
    for (const key of [
      'pre_prompt',
      'user_input_form',
      'file_upload',
      'dataset_configs',
      'suggested_questions',
      'suggested_questions_after_answer',
    ]) {
      // The file's values are kept; Dify's defaults fill what it leaves out (e.g. dataset_configs.datasets).
      if (original.model_config[key] !== undefined)
        expect(exported.model_config[key], key).toMatchObject(original.model_config[key]);
    }
    if (mode === 'chat') expect(exported.model_config.opening_statement).toBe(original.model_config.opening_statement);

    const again = json(await importYaml(first));
    expect(again).toMatchObject({ status: 'completed', imported_dsl_version: '0.3.1', warnings: [] });
    expect(await exportApp(again.app_id)).toBe(first);
  });

  it('an imported app answers through the service API with the stand-in’s reply', async () => {
    const yaml = fixture('ai-front-end-interviewer.chat.yml').replace(
      'app:\n',
      'app:\n  use_icon_as_answer_icon: true\n',
    );
    const imported = json(await importYaml(yaml, { name: 'Interviewer (imported)' }));
    expect(parse(await exportApp(imported.app_id)).app).toMatchObject({
      name: 'Interviewer (imported)',
      use_icon_as_answer_icon: true,
    });
    const key = json(
      await h.app.inject({ method: 'POST', url: `/console/api/apps/${imported.app_id}/api-keys`, headers: h.auth }),
    ).token as string;
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/chat-messages',
      headers: { authorization: `Bearer ${key}` },
      payload: { inputs: {}, query: 'Ask me one', user: 'u1', response_mode: 'blocking' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res).answer).toBe(DEFAULT_REPLY);
    expect(llm.requests().at(-1)?.body).toMatchObject({
      model: 'gpt-3.5-turbo',
      messages: [
        { role: 'system', content: expect.stringContaining('open-ended questions') },
        { role: 'user', content: 'Ask me one' },
      ],
    });
  });

  it('imports an app whose provider has no credentials or does not exist, with a warning naming what to add', async () => {
    const anthropic = fixture('ai-front-end-interviewer.chat.yml')
      .replace('provider: openai', 'provider: anthropic')
      .replace('name: gpt-3.5-turbo', 'name: claude-3-5-haiku-latest');
    const res = json(await importYaml(anthropic));
    expect(res.status).toBe('completed-with-warnings');
    const warning = res.warnings.find((w: Json) => w.code === 'provider_not_configured');
    expect(warning).toMatchObject({ path: 'model_config.model.provider', details: { provider: 'anthropic' } });
    expect(warning.message).toMatch(/add anthropic_api_key \(required\)/);

    const unknown = json(
      await importYaml(fixture('code-converter.completion.yml').replace('provider: openai', 'provider: tongyi')),
    );
    expect(unknown.status).toBe('completed-with-warnings');
    expect(unknown.warnings.find((w: Json) => w.code === 'provider_not_found').message).toMatch(
      /^Provider tongyi is not available on this server/,
    );
    expect(
      json(await h.app.inject({ method: 'GET', url: `/console/api/apps/${unknown.app_id}`, headers: h.auth }))
        .model_config.model.provider,
    ).toBe('tongyi');
  });

  it('refuses a workflow DSL and yaml-url with a clear error and creates nothing', async () => {
    const before = await appCount();
    const workflow = await importYaml(fixture('python-coding-prompt.advanced-chat.yml'));
    expect(workflow.statusCode).toBe(400);
    expect(json(workflow)).toMatchObject({
      status: 'failed',
      app_id: null,
      imported_dsl_version: '0.1.0',
      error: expect.stringMatching(/^Importing advanced-chat apps \(a workflow: graph\) is not supported yet/),
    });

    const url = await h.app.inject({
      method: 'POST',
      url: '/console/api/apps/imports',
      headers: h.auth,
      payload: { mode: 'yaml-url', yaml_url: 'https://example.com/app.yml' },
    });
    expect(url.statusCode).toBe(400);
    expect(json(url)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('this server does not fetch files from the network'),
    });

    // A model config that breaks Dify's rules: refused by field, and no half-made app stays behind.
    const broken = fixture('code-converter.completion.yml').replace(
      "default: ''\n      label: Language",
      'default: Cobol\n      label: Language',
    );
    expect(json(await importYaml(broken))).toMatchObject({
      status: 'failed',
      error:
        'model_config.user_input_form.0.select.default: default value in user_input_form must be in the options list',
    });
    expect(json(await importYaml('app: [1, 2'))).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^Invalid YAML format: line 1, column \d+/),
    });
    expect(await appCount()).toBe(before);

    const noMode = await h.app.inject({
      method: 'POST',
      url: '/console/api/apps/imports',
      headers: h.auth,
      payload: { yaml_content: 'x' },
    });
    expect(json(noMode)).toMatchObject({
      code: 'invalid_param',
      status: 400,
      message: expect.stringMatching(/^mode: /),
    });
  });

  it('takes files past the server’s 1 MB body limit up to Dify’s 10 MB, and says when one is larger', async () => {
    const long = 'x'.repeat(3 * 1024 * 1024);
    const big = fixture('ai-front-end-interviewer.chat.yml').replace(
      '  pre_prompt: Your task',
      `  pre_prompt: ${long} Your task`,
    );
    const res = await importYaml(big, { name: 'Long prompt' });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect((await exportApp(json(res).app_id)).length).toBeGreaterThan(long.length);
    const huge = await importYaml(`# ${'y'.repeat(DSL_MAX_SIZE)}\n${fixture('ai-front-end-interviewer.chat.yml')}`);
    expect(huge.statusCode).toBe(400);
    expect(json(huge)).toMatchObject({ status: 'failed', error: 'File size exceeds the limit of 10MB' });
  });

  it('asks to confirm a newer DSL version, then imports it once, for the same account only', async () => {
    const newer = `version: 0.4.0\nkind: app\n${fixture('code-converter.completion.yml')}`;
    const pending = await importYaml(newer, { name: 'Converter from the future', icon: '🧪' });
    expect(pending.statusCode).toBe(202);
    const { id } = json(pending);
    expect(json(pending)).toMatchObject({ status: 'pending', app_id: null, imported_dsl_version: '0.4.0' });

    const confirmed = await h.app.inject({
      method: 'POST',
      url: `/console/api/apps/imports/${id}/confirm`,
      headers: h.auth,
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(json(confirmed)).toMatchObject({ id, status: 'completed', app_mode: 'completion' });
    const detail = json(
      await h.app.inject({ method: 'GET', url: `/console/api/apps/${json(confirmed).app_id}`, headers: h.auth }),
    );
    expect(detail).toMatchObject({ name: 'Converter from the future', icon: '🧪' });

    const twice = await h.app.inject({
      method: 'POST',
      url: `/console/api/apps/imports/${id}/confirm`,
      headers: h.auth,
    });
    expect(twice.statusCode).toBe(400);
    expect(json(twice)).toMatchObject({ status: 'failed', error: 'Import information expired or does not exist' });
    const unknown = await h.app.inject({
      method: 'POST',
      url: '/console/api/apps/imports/00000000-0000-4000-8000-000000000000/confirm',
      headers: h.auth,
    });
    expect(json(unknown)).toMatchObject({ status: 'failed', error: 'Import information expired or does not exist' });
    // Dify's console asks for the plugins an import lacks: this server has none to install.
    const deps = await h.app.inject({
      method: 'GET',
      url: `/console/api/apps/imports/${json(confirmed).app_id}/check-dependencies`,
      headers: h.auth,
    });
    expect(json(deps)).toEqual({ leaked_dependencies: [] });
  });

  it('exports with Dify’s errors: workflow apps, apps without a config, unknown apps, a bad include_secret', async () => {
    const workflow = await createAppWithKey(h.app, h.auth, 'workflow');
    const refused = await h.app.inject({
      method: 'GET',
      url: `/console/api/apps/${workflow.appId}/export`,
      headers: h.auth,
    });
    expect(json(refused)).toMatchObject({
      code: 'app_unavailable',
      status: 400,
      message: expect.stringContaining('not supported yet'),
    });
    const bare = json(
      await h.app.inject({
        method: 'POST',
        url: '/console/api/apps',
        headers: h.auth,
        payload: { name: 'No config', mode: 'chat' },
      }),
    );
    expect(
      json(await h.app.inject({ method: 'GET', url: `/console/api/apps/${bare.id}/export`, headers: h.auth })),
    ).toMatchObject({ code: 'invalid_param', message: 'Missing app configuration, please check.' });
    expect(
      (
        await h.app.inject({
          method: 'GET',
          url: '/console/api/apps/00000000-0000-4000-8000-000000000000/export',
          headers: h.auth,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      json(
        await h.app.inject({
          method: 'GET',
          url: `/console/api/apps/${bare.id}/export?include_secret=maybe`,
          headers: h.auth,
        }),
      ),
    ).toMatchObject({ code: 'invalid_param' });
    expect((await h.app.inject({ method: 'GET', url: `/console/api/apps/${h.chat.appId}/export` })).statusCode).toBe(
      401,
    );
  });
});

describe('Dify DSL pending imports without Redis (PostgreSQL key-value fallback)', () => {
  let bare: Harness;
  beforeAll(async () => {
    bare = await startHarness({ pg, llm });
  });
  afterAll(async () => {
    await bare?.close();
  });

  it('keeps a pending import until it is confirmed', async () => {
    const newer = `version: 0.5.0\nkind: app\n${fixture('ai-front-end-interviewer.chat.yml')}`;
    const pending = json(
      await bare.app.inject({
        method: 'POST',
        url: '/console/api/apps/imports',
        headers: bare.auth,
        payload: { mode: 'yaml-content', yaml_content: newer },
      }),
    );
    expect(pending).toMatchObject({ status: 'pending', imported_dsl_version: '0.5.0' });
    const confirmed = await bare.app.inject({
      method: 'POST',
      url: `/console/api/apps/imports/${pending.id}/confirm`,
      headers: bare.auth,
    });
    expect(json(confirmed)).toMatchObject({ status: 'completed', app_mode: 'chat' });
  });
});
