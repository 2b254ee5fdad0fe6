import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REPLY, startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import { drain, runtimeFixture, type RuntimeFixture } from '../helpers/model-runtime.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

const KEY = 'sk-test-good-key-0123456789';
let server: TestPostgres;
let llm: StandIn;
/** Ollama has no keys: a stand-in that checks none. */
let open: StandIn;
let fx: RuntimeFixture;

beforeAll(async () => {
  [server, llm, open] = await Promise.all([startPostgres(), startStandIn({ apiKeys: [KEY] }), startStandIn()]);
  fx = await runtimeFixture(server);
}, 60_000);
afterAll(async () => {
  await fx?.stop();
  await Promise.all([llm?.close(), open?.close(), server?.stop()]);
});

const ask = (provider: string, model: string, extra: Record<string, unknown> = {}) => ({
  tenantId: fx.tenantId,
  provider,
  model,
  messages: [
    { role: 'system' as const, content: 'You are terse.' },
    { role: 'user' as const, content: 'Say hello' },
  ],
  ...extra,
});

describe('built-in providers against the stand-in', () => {
  it('openai: credentials checked by a real request, then streaming, blocking, completion mode and embeddings', async () => {
    await fx.runtime.console.createProviderCredential(fx.tenantId, 'openai', {
      credentials: { openai_api_key: KEY, openai_api_base: llm.url },
    });
    expect(llm.requests().at(-1)).toMatchObject({
      path: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', max_tokens: 5 },
    });

    const call = fx.runtime.invokeLlm(
      ask('openai', 'gpt-4o-mini', { parameters: { temperature: 0.2, max_tokens: 50 } }),
    );
    const deltas = await drain(call);
    const result = await call.result;
    expect(deltas.join('')).toBe(DEFAULT_REPLY);
    expect(deltas.length).toBeGreaterThan(1);
    expect(result).toMatchObject({ text: DEFAULT_REPLY, finishReason: 'stop' });
    expect(result.usage).toMatchObject({
      prompt_unit_price: '0.15',
      prompt_price_unit: '0.000001',
      completion_unit_price: '0.60',
      currency: 'USD',
    });
    expect(result.usage.total_tokens).toBe(result.usage.prompt_tokens + result.usage.completion_tokens);
    expect(result.usage.completion_tokens).toBeGreaterThan(0);
    expect(result.usage.latency).toBeGreaterThan(0);
    expect(llm.requests().at(-1)?.body).toMatchObject({
      model: 'gpt-4o-mini',
      stream: true,
      temperature: 0.2,
      max_tokens: 50,
    });

    const blocking = await fx.runtime.invokeLlm(ask('openai', 'gpt-4o')).result;
    expect(blocking.text).toBe(DEFAULT_REPLY);

    const completion = await fx.runtime.invokeLlm({
      ...ask('openai', 'gpt-3.5-turbo-instruct'),
      messages: [{ role: 'user', content: 'Complete: once upon' }],
    }).result;
    expect(completion.text).toBe(DEFAULT_REPLY);
    const sent = llm.requests().at(-1);
    expect(sent?.path).toBe('/v1/completions');
    // Dify's prompt reaches the model as it is: no `user:` / `assistant:` labels added by the SDK.
    expect(sent?.body).toMatchObject({ messages: [{ role: 'user', content: 'Complete: once upon' }] });

    const embedded = await fx.runtime.embed({
      tenantId: fx.tenantId,
      provider: 'openai',
      model: 'text-embedding-3-small',
      texts: ['alpha', 'beta'],
    });
    expect(embedded.embeddings).toHaveLength(2);
    expect(embedded.embeddings[0]?.length).toBeGreaterThan(3);
    expect(embedded.usage.tokens).toBeGreaterThan(0);
  });

  it('anthropic: Messages API, streaming and blocking, tokens counted when the provider reports none', async () => {
    await fx.runtime.console.createProviderCredential(fx.tenantId, 'anthropic', {
      credentials: { anthropic_api_key: KEY, anthropic_api_url: llm.url },
    });
    const call = fx.runtime.invokeLlm(ask('anthropic', 'claude-3-5-haiku-latest'));
    expect((await drain(call)).join('')).toBe(DEFAULT_REPLY);
    const result = await call.result;
    expect(llm.requests().at(-1)).toMatchObject({ path: '/v1/messages' });
    expect(result.usage.completion_tokens).toBeGreaterThan(0);
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
    expect(result.usage.prompt_unit_price).toBe('0.80');
    expect((await fx.runtime.invokeLlm(ask('anthropic', 'claude-3-5-haiku-latest')).result).text).toBe(DEFAULT_REPLY);
  });

  it('azure_openai: one deployment per model, priced by its base model', async () => {
    const credentials = {
      openai_api_base: llm.url,
      openai_api_key: KEY,
      openai_api_version: '2024-06-01',
      base_model_name: 'gpt-4o',
    };
    await fx.runtime.console.createModelCredential(fx.tenantId, 'azure_openai', {
      model: 'my-gpt4o',
      type: 'llm',
      credentials,
    });
    const call = fx.runtime.invokeLlm(ask('azure_openai', 'my-gpt4o'));
    expect((await drain(call)).join('')).toBe(DEFAULT_REPLY);
    expect((await call.result).usage.prompt_unit_price).toBe('2.50');
    expect(llm.requests().at(-1)?.path).toMatch(
      /^\/openai\/deployments\/my-gpt4o\/chat\/completions\?api-version=2024-06-01$/,
    );
    expect(await fx.runtime.contextSize({ tenantId: fx.tenantId, provider: 'azure_openai', model: 'my-gpt4o' })).toBe(
      128_000,
    );

    await fx.runtime.console.createModelCredential(fx.tenantId, 'azure_openai', {
      model: 'my-embedder',
      type: 'text-embedding',
      credentials: { ...credentials, base_model_name: 'text-embedding-3-small' },
    });
    const embedded = await fx.runtime.embed({
      tenantId: fx.tenantId,
      provider: 'azure_openai',
      model: 'my-embedder',
      texts: ['one'],
    });
    expect(embedded.embeddings).toHaveLength(1);
    expect(llm.requests().at(-1)?.path).toMatch(/^\/openai\/deployments\/my-embedder\/embeddings/);
  });

  it('ollama: native /api/chat, /api/generate for completion mode, /api/embed; context size from credentials', async () => {
    await fx.runtime.console.createModelCredential(fx.tenantId, 'ollama', {
      model: 'llama3.2',
      type: 'llm',
      credentials: { base_url: open.url, mode: 'chat', context_size: '8192' },
    });
    const call = fx.runtime.invokeLlm(ask('ollama', 'llama3.2'));
    expect((await drain(call)).join('')).toBe(DEFAULT_REPLY);
    expect(open.requests().at(-1)?.path).toBe('/api/chat');
    expect(await fx.runtime.contextSize({ tenantId: fx.tenantId, provider: 'ollama', model: 'llama3.2' })).toBe(8192);

    await fx.runtime.console.createModelCredential(fx.tenantId, 'ollama', {
      model: 'llama3.2-text',
      type: 'llm',
      credentials: { base_url: open.url, mode: 'completion', context_size: '4096' },
    });
    expect((await fx.runtime.invokeLlm(ask('ollama', 'llama3.2-text')).result).text).toBe(DEFAULT_REPLY);
    expect(open.requests().at(-1)?.path).toBe('/api/generate');

    await fx.runtime.console.createModelCredential(fx.tenantId, 'ollama', {
      model: 'nomic-embed-text',
      type: 'text-embedding',
      credentials: { base_url: open.url, context_size: '2048' },
    });
    const embedded = await fx.runtime.embed({
      tenantId: fx.tenantId,
      provider: 'ollama',
      model: 'nomic-embed-text',
      texts: ['a', 'b', 'c'],
    });
    expect(embedded.embeddings).toHaveLength(3);
    expect(open.requests().at(-1)?.path).toBe('/api/embed');
  });

  it('openai_api_compatible: endpoint_model_name upstream, chat and completion modes, optional api key, max_tokens_to_sample bound', async () => {
    const base = { endpoint_url: llm.openaiBaseUrl, api_key: KEY, context_size: '32000', max_tokens_to_sample: '100' };
    await fx.runtime.console.createModelCredential(fx.tenantId, 'openai_api_compatible', {
      model: 'local-chat',
      type: 'llm',
      credentials: { ...base, mode: 'chat', endpoint_model_name: 'upstream-model' },
    });
    const call = fx.runtime.invokeLlm(
      ask('openai_api_compatible', 'local-chat', { parameters: { max_tokens: 4000 }, user: 'end-user-1' }),
    );
    expect((await drain(call)).join('')).toBe(DEFAULT_REPLY);
    expect(llm.requests().at(-1)?.body).toMatchObject({ model: 'upstream-model', max_tokens: 100, user: 'end-user-1' });
    expect((await call.result).usage.total_price).toBe('0.0');

    await fx.runtime.console.createModelCredential(fx.tenantId, 'openai_api_compatible', {
      model: 'local-text',
      type: 'llm',
      credentials: { ...base, mode: 'completion' },
    });
    expect((await fx.runtime.invokeLlm(ask('openai_api_compatible', 'local-text')).result).text).toBe(DEFAULT_REPLY);
    expect(llm.requests().at(-1)?.path).toBe('/v1/completions');

    await fx.runtime.console.createModelCredential(fx.tenantId, 'openai_api_compatible', {
      model: 'local-embed',
      type: 'text-embedding',
      credentials: base,
    });
    expect(
      (
        await fx.runtime.embed({
          tenantId: fx.tenantId,
          provider: 'openai_api_compatible',
          model: 'local-embed',
          texts: ['x'],
        })
      ).embeddings,
    ).toHaveLength(1);
  });
});
