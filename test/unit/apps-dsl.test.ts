import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configWarnings } from '../../src/apps/dsl/config-warnings.js';
import { appValues, importedModelConfig } from '../../src/apps/dsl/create-app.js';
import {
  DslError,
  dslDocument,
  dumpDsl,
  parseYamlMapping,
  providerWarnings,
  readDslDocument,
  versionStatus,
  type ProviderView,
} from '../../src/apps/dsl/index.js';
import { configDict, type AppModelConfigDict } from '../../src/apps/model-config/index.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/dsl/${name}`, import.meta.url), 'utf8');
const read = (text: string) => readDslDocument(parseYamlMapping(text));
const refusal = (text: string): string => {
  try {
    read(text);
  } catch (error) {
    if (error instanceof DslError) return error.message;
    throw error;
  }
  throw new Error('expected a DslError');
};
const KNOWN = new Set(['openai', 'anthropic', 'openai_api_compatible']);
const CHAT_FIXTURES = [
  'ai-front-end-interviewer.chat.yml',
  'strategic-consulting-expert.chat.yml',
  'code-converter.completion.yml',
];

describe('Dify DSL: reading a file', () => {
  it.each(CHAT_FIXTURES)('reads the real export %s (no version: 0.1.0) and validates its model config', (name) => {
    const doc = read(fixture(name));
    expect(doc.version).toBe('0.1.0');
    expect(doc.app.icon).toBe('🤖');
    const config = importedModelConfig(doc, KNOWN);
    expect(config.model).toMatchObject({ provider: 'openai', mode: 'chat' });
    expect(config.pre_prompt).toBe(doc.modelConfig.pre_prompt);
  });

  it('keeps the completion app’s form and prompt variables', () => {
    const config = importedModelConfig(read(fixture('code-converter.completion.yml')), KNOWN);
    expect(config.user_input_form?.map((item) => Object.keys(item)[0])).toEqual(['select', 'paragraph']);
    expect(config.pre_prompt).toContain('{{Target_code}}');
    expect(config).not.toHaveProperty('opening_statement');
  });

  it('refuses a workflow DSL (advanced-chat, real export) and other modes not supported yet, by name', () => {
    expect(refusal(fixture('python-coding-prompt.advanced-chat.yml'))).toMatch(
      /^Importing advanced-chat apps \(a workflow: graph\) is not supported yet/,
    );
    expect(refusal('app: {mode: workflow, name: w}\nworkflow: {graph: {nodes: []}}')).toMatch(
      /workflow apps .* not supported yet/,
    );
    expect(refusal('app: {mode: agent-chat, name: a}\nmodel_config: {}')).toMatch(
      /agent-chat apps is not supported yet/,
    );
    expect(
      refusal('app: {mode: chat, name: a}\nmodel_config: {agent_mode: {enabled: true, tools: [{tool_name: x}]}}'),
    ).toMatch(/agent tools \(model_config.agent_mode.tools: 1\) is not supported yet/);
    expect(refusal('app: {mode: robot, name: a}')).toBe(
      'Invalid app mode: robot (one of chat, completion, agent-chat, advanced-chat, workflow)',
    );
  });

  it('says what is wrong with a broken file: YAML position, shape, version type, missing parts', () => {
    expect(refusal('app:\n  mode: chat\n   name: x: y\n')).toMatch(/^Invalid YAML format: line \d+, column \d+: /);
    expect(refusal('- a\n- b\n')).toBe('Invalid YAML format: content must be a mapping');
    expect(refusal('version: 0.1\napp: {mode: chat}')).toMatch(/^Invalid version type, expected str, got number/);
    expect(refusal('version: "1.x"\napp: {mode: chat}')).toBe('Invalid version: 1.x (expected e.g. 0.1.5)');
    expect(refusal('kind: app\nversion: 0.1.5\n')).toBe('Missing app data in YAML content');
    expect(refusal('app: {name: x}')).toBe('app.mode is missing (loss app mode)');
    expect(refusal('app: {mode: chat, name: x}')).toBe('Missing model_config for chat/agent-chat/completion app');
  });

  it('gives Dify’s statuses by version: older minor with warnings, newer or older major pending', () => {
    expect(versionStatus('0.1.0', '0.3.1')).toBe('completed-with-warnings');
    expect(versionStatus('0.3.0', '0.3.1')).toBe('completed');
    expect(versionStatus('0.3.1', '0.3.1')).toBe('completed');
    expect(versionStatus('0.4.0', '0.3.1')).toBe('pending');
    expect(versionStatus('0.3.2', '0.3.1')).toBe('pending');
    expect(versionStatus('0.6.0', '1.0.0')).toBe('pending');
  });

  it('names the model config field a file breaks', () => {
    const doc = read(
      'app: {mode: chat, name: x}\nmodel_config:\n  model: {provider: openai, name: m}\n  user_input_form: [{select: {label: L, variable: v, options: [a], default: b}}]\n',
    );
    expect(() => importedModelConfig(doc, KNOWN)).toThrow(
      'model_config.user_input_form.0.select.default: default value in user_input_form must be in the options list',
    );
  });
});

describe('Dify DSL: app values and providers', () => {
  it('takes the request’s overrides first, then the file, with Dify’s defaults', () => {
    const doc = read('app: {mode: chat, name: From file, icon: "🤖", icon_type: weird}\nmodel_config: {}');
    expect(appValues(doc, {})).toEqual({
      name: 'From file',
      mode: 'chat',
      description: '',
      icon_type: 'emoji',
      icon: '🤖',
      icon_background: '#FFFFFF',
      use_icon_as_answer_icon: false,
    });
    expect(appValues(doc, { name: 'Mine', icon_background: '#000000' })).toMatchObject({
      name: 'Mine',
      icon_background: '#000000',
    });
    // A null background in the file stays null (Dify's get(key, default) only defaults an absent key).
    expect(appValues(read(fixture('ai-front-end-interviewer.chat.yml')), {}).icon_background).toBeNull();
    expect(() => appValues(read('app: {mode: chat}\nmodel_config: {}'), {})).toThrow(/app.name is missing/);
  });

  it('maps Dify 1.x plugin provider names to this server’s', () => {
    const doc = read(
      'app: {mode: chat, name: x}\nmodel_config:\n  model: {provider: langgenius/openai/openai, name: gpt-4o}\n',
    );
    expect(importedModelConfig(doc, KNOWN).model?.provider).toBe('openai');
    const unknown = read(
      'app: {mode: chat, name: x}\nmodel_config:\n  model: {provider: langgenius/tongyi/tongyi, name: qwen}\n',
    );
    expect(importedModelConfig(unknown, KNOWN).model?.provider).toBe('langgenius/tongyi/tongyi');
  });

  const view = (provider: string, fields: Partial<ProviderView> = {}): ProviderView => ({
    provider,
    configurate_methods: ['predefined-model'],
    provider_credential_schema: {
      credential_form_schemas: [
        { variable: 'openai_api_key', required: true },
        { variable: 'openai_api_base', required: false },
      ],
    },
    model_credential_schema: {
      credential_form_schemas: [
        { variable: 'endpoint_url', required: true },
        { variable: 'api_key', required: false },
      ],
    },
    custom_configuration: { current_credential_id: null, custom_models: [] },
    ...fields,
  });

  it('warns about a provider without credentials, naming them, and about an unknown provider', () => {
    const [missing] = providerWarnings({ provider: 'openai', name: 'gpt-4o' }, [view('openai')]);
    expect(missing).toMatchObject({
      code: 'provider_not_configured',
      path: 'model_config.model.provider',
      details: { credentials: ['openai_api_key', 'openai_api_base'] },
    });
    expect(missing!.message).toContain('add openai_api_key (required), openai_api_base');
    const [perModel] = providerWarnings({ provider: 'openai_api_compatible', name: 'llama3' }, [
      view('openai_api_compatible', { configurate_methods: ['customizable-model'] }),
    ]);
    expect(perModel!.message).toMatch(
      /for model llama3: add endpoint_url \(required\), api_key .*\/model-providers\/openai_api_compatible\/models/,
    );
    const [unknown] = providerWarnings({ provider: 'tongyi', name: 'qwen' }, [view('openai')]);
    expect(unknown).toMatchObject({ code: 'provider_not_found', details: { provider: 'tongyi' } });
    expect(
      providerWarnings({ provider: 'openai', name: 'gpt-4o' }, [
        view('openai', { custom_configuration: { current_credential_id: 'c1', custom_models: [] } }),
      ]),
    ).toEqual([]);
    const configuredModel = {
      current_credential_id: null,
      custom_models: [{ model: 'llama3', model_type: 'llm', current_credential_id: 'c2' }],
    };
    expect(
      providerWarnings({ provider: 'openai_api_compatible', name: 'llama3' }, [
        view('openai_api_compatible', {
          configurate_methods: ['customizable-model'],
          custom_configuration: configuredModel,
        }),
      ]),
    ).toEqual([]);
  });
});

describe('Dify DSL: what an import keeps but does not run', () => {
  it('warns about knowledge bases and external data tools, and not about empty ones', () => {
    expect(configWarnings(read(fixture('code-converter.completion.yml')).modelConfig)).toEqual([]);
    const warnings = configWarnings({
      dataset_configs: {
        retrieval_model: 'multiple',
        datasets: { datasets: [{ dataset: { enabled: true, id: 'd-1' } }, { dataset: { enabled: true, id: 'd-2' } }] },
      },
      external_data_tools: [
        { enabled: true, variable: 'weather', type: 'api' },
        { enabled: false, variable: 'off' },
      ],
    });
    expect(warnings.map((w) => [w.code, w.details])).toEqual([
      ['dataset_not_found', { dataset_ids: ['d-1', 'd-2'] }],
      ['external_data_tool_ignored', { variables: ['weather'] }],
    ]);
  });
});

describe('Dify DSL: writing a file', () => {
  const app = {
    name: 'Interviewer',
    mode: 'chat',
    icon: '🤖',
    icon_type: 'emoji',
    icon_background: null,
    description: 'Asks things',
    use_icon_as_answer_icon: true,
  };

  it('writes Dify’s export document with sorted keys, unicode kept, and reads back the same', () => {
    const config = importedModelConfig(read(fixture('ai-front-end-interviewer.chat.yml')), KNOWN);
    const dict = configDict({ configs: config } as Parameters<typeof configDict>[0]); // the stored row's shape: configs only
    const text = dumpDsl(dslDocument(app, dict));
    expect(text.split('\n').filter((line) => /^\S/.test(line))).toEqual([
      'app:',
      'dependencies: []',
      'kind: app',
      'model_config:',
      'version: 0.3.1',
    ]);
    expect(text).toContain('icon: 🤖');
    const back = parse(text) as { app: object; model_config: AppModelConfigDict };
    expect(back.app).toEqual(app);
    expect(back.model_config).toEqual(JSON.parse(JSON.stringify(dict)));
    // Reading the written file validates to the same config: the round trip is stable.
    const again = read(text);
    expect(configDict({ configs: importedModelConfig(again, KNOWN) } as Parameters<typeof configDict>[0])).toEqual(
      dict,
    );
  });

  it('leaves tool credential ids out of the file', () => {
    const dict = configDict({
      configs: { agent_mode: { enabled: true, tools: [{ tool_name: 't', credential_id: 'secret-id' }] } },
    } as Parameters<typeof configDict>[0]);
    expect(dumpDsl(dslDocument(app, dict))).not.toContain('secret-id');
    expect((dict.agent_mode.tools as Array<Record<string, unknown>>)[0]!.credential_id).toBe('secret-id');
  });
});
