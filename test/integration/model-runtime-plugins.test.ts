import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelRuntime, type ModelRuntimeService } from '../../src/model-runtime/index.js';
import { DEFAULT_REPLY, startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import { drain, runtimeFixture, type RuntimeFixture } from '../helpers/model-runtime.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { SECRET_KEY } from './server-fixtures.js';

let server: TestPostgres;
let llm: StandIn;
let fx: RuntimeFixture;
let dir: string;
let runtime: ModelRuntimeService;
const logged: Array<{ level: string; obj: object; msg?: string }> = [];
const logger = {
  info: (obj: object, msg?: string) => logged.push({ level: 'info', obj, msg }),
  warn: (obj: object, msg?: string) => logged.push({ level: 'warn', obj, msg }),
  error: (obj: object, msg?: string) => logged.push({ level: 'error', obj, msg }),
};

const STREAMING_PLUGIN = `
export function registerProvider(registry) {
  registry.add({
    name: 'words',
    models: [{ name: 'words-1', mode: 'chat', context_size: 2048 }, { name: 'words-embed', type: 'text-embedding' }],
    async *invoke({ messages, signal }) {
      for (const word of ['one', ' two', ' three']) { if (signal?.aborted) return; yield word; }
      yield { text: '', usage: { prompt_tokens: 7, completion_tokens: 3 } };
    },
    async embed({ texts }) { return { embeddings: texts.map((t) => [t.length, 1, 0]), usage: { tokens: texts.length } }; },
  });
  registry.add({ name: 'grumpy', models: [{ name: 'g' }], async invoke() { throw Object.assign(new Error('too many'), { status: 429 }); } });
}
`;

// An AI SDK provider object: the plugin lives under the repository so it resolves the package.
const SDK_PLUGIN = `
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
export function registerProvider(registry) {
  registry.add({
    name: 'my_gateway',
    label: 'My gateway',
    models: [{ name: 'gw-chat', mode: 'chat' }, { name: 'gw-embed', type: 'text-embedding' }],
    provider: (credentials) => createOpenAICompatible({ name: 'my_gateway', baseURL: credentials.base_url, apiKey: credentials.api_key }),
    credentials: [
      { variable: 'base_url', label: { en_US: 'Base URL' }, type: 'text-input', required: true },
      { variable: 'api_key', label: { en_US: 'API Key' }, type: 'secret-input', required: true },
    ],
  });
}
`;

beforeAll(async () => {
  [server, llm] = await Promise.all([startPostgres(), startStandIn({ apiKeys: ['sk-gateway-key-000000'] })]);
  fx = await runtimeFixture(server);
  dir = await mkdtemp(path.join(path.resolve('test'), '.tmp-plugins-'));
  await writeFile(
    path.join(dir, 'a-example.js'),
    await readFile(path.resolve('templates/plugins/providers/example-provider.js'), 'utf8'),
  );
  await writeFile(path.join(dir, 'b-streaming.mjs'), STREAMING_PLUGIN);
  await writeFile(path.join(dir, 'c-sdk.js'), SDK_PLUGIN);
  await writeFile(path.join(dir, 'd-throws.js'), 'export function registerProvider() { throw new Error("boom"); }\n');
  await writeFile(path.join(dir, 'e-syntax.js'), 'export function registerProvider( {\n');
  await writeFile(path.join(dir, 'f-none.js'), 'export const nothing = 1;\n');
  await writeFile(
    path.join(dir, 'g-invalid.js'),
    'export function registerProvider(r) { r.add({ name: "half", models: [{ name: "x" }], invoke() {} }); r.add({ name: "nomodels", invoke() {} }); }\n',
  );
  await writeFile(path.join(dir, 'notes.txt'), 'not a plugin');
  runtime = await createModelRuntime({ pool: fx.pool, secretKey: SECRET_KEY, pluginsDir: dir, logger });
}, 60_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await fx?.stop();
  await Promise.all([llm?.close(), server?.stop()]);
});

const ask = (provider: string, model: string, content = 'hi there') => ({
  tenantId: fx.tenantId,
  provider,
  model,
  messages: [{ role: 'user' as const, content }],
});

describe('PROVIDER_PLUGINS_DIR', () => {
  it('loads good plugins, logs and skips broken ones (a half-registered plugin registers nothing)', () => {
    expect(runtime.pluginFiles).toEqual(['a-example.js', 'b-streaming.mjs', 'c-sdk.js']);
    expect(
      runtime
        .providers()
        .filter((p) => p.source !== 'builtin')
        .map((p) => p.provider),
    ).toEqual(['echo', 'words', 'grumpy', 'my_gateway']);
    const skipped = logged
      .filter((l) => l.level !== 'info')
      .map((l) => `${path.basename(String((l.obj as { plugin: string }).plugin))}: ${l.msg}`);
    expect(skipped).toEqual([
      'd-throws.js: provider plugin skipped: it failed to load',
      'e-syntax.js: provider plugin skipped: it failed to load',
      'f-none.js: provider plugin skipped: it does not export registerProvider',
      'g-invalid.js: provider plugin skipped: it failed to load',
    ]);
  });

  it('the shipped example answers without any configuration', async () => {
    const call = runtime.invokeLlm(ask('echo', 'echo-1', 'ping'));
    expect((await drain(call)).join('')).toBe('echo: ping');
    const result = await call.result;
    expect(result.text).toBe('echo: ping');
    expect(result.usage.completion_tokens).toBeGreaterThan(0); // the plugin says 0: counted instead
  });

  it('a streaming invoke yields chunk by chunk with its own usage; embed gives vectors', async () => {
    const call = runtime.invokeLlm(ask('words', 'words-1'));
    expect(await drain(call)).toEqual(['one', ' two', ' three']);
    expect((await call.result).usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    expect(await runtime.contextSize({ tenantId: fx.tenantId, provider: 'words', model: 'words-1' })).toBe(2048);
    const embedded = await runtime.embed({
      tenantId: fx.tenantId,
      provider: 'words',
      model: 'words-embed',
      texts: ['ab', 'abcd'],
    });
    expect(embedded).toMatchObject({
      embeddings: [
        [2, 1, 0],
        [4, 1, 0],
      ],
      usage: { tokens: 2 },
    });
  });

  it("a plugin's error with an HTTP status maps like a provider's", async () => {
    await expect(runtime.invokeLlm(ask('grumpy', 'g')).result).rejects.toMatchObject({
      code: 'completion_request_error',
      kind: 'rate_limit',
      message: '[grumpy] Rate Limit Error, too many',
    });
  });

  it('an AI SDK provider object with credentials configured in the workspace', async () => {
    await expect(runtime.invokeLlm(ask('my_gateway', 'gw-chat')).result).rejects.toMatchObject({
      code: 'provider_not_initialize',
    });
    await runtime.console.createProviderCredential(fx.tenantId, 'my_gateway', {
      credentials: { base_url: llm.openaiBaseUrl, api_key: 'sk-gateway-key-000000' },
    });
    const call = runtime.invokeLlm(ask('my_gateway', 'gw-chat'));
    expect((await drain(call)).join('')).toBe(DEFAULT_REPLY);
    expect(llm.requests().at(-1)?.body).toMatchObject({ model: 'gw-chat' });
    expect(
      (await runtime.embed({ tenantId: fx.tenantId, provider: 'my_gateway', model: 'gw-embed', texts: ['x'] }))
        .embeddings,
    ).toHaveLength(1);
    const shown = await runtime.console.providerCredentials(fx.tenantId, 'my_gateway');
    expect(shown).toEqual({ base_url: llm.openaiBaseUrl, api_key: 'sk-gat************00' });
  });
});
