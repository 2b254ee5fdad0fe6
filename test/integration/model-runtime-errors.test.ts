import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRuntimeError } from '../../src/model-runtime/index.js';
import { DEFAULT_REPLY, startStandIn, type StandIn } from '../helpers/llm-stand-in.js';
import { drain, runtimeFixture, type RuntimeFixture } from '../helpers/model-runtime.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

const KEY = 'sk-test-good-key-0123456789';
let server: TestPostgres;
let llm: StandIn;
let fx: RuntimeFixture;

beforeAll(async () => {
  [server, llm] = await Promise.all([startPostgres(), startStandIn({ apiKeys: [KEY] })]);
  fx = await runtimeFixture(server);
  await fx.runtime.console.createModelCredential(fx.tenantId, 'openai_api_compatible', {
    model: 'm',
    type: 'llm',
    credentials: { endpoint_url: llm.openaiBaseUrl, api_key: KEY, mode: 'chat' },
  });
}, 60_000);
afterAll(async () => {
  llm?.clearChaos();
  await fx?.stop();
  await Promise.all([llm?.close(), server?.stop()]);
});

const ask = (tenantId = fx.tenantId, model = 'm') => ({
  tenantId,
  provider: 'openai_api_compatible',
  model,
  messages: [{ role: 'user' as const, content: 'Say hello' }],
});

async function failure(promise: Promise<unknown>): Promise<ModelRuntimeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelRuntimeError);
  return error as ModelRuntimeError;
}

describe('provider failures become Dify errors, never hangs', () => {
  it('a workspace without credentials: provider_not_initialize, from result and from the stream', async () => {
    const tenant = await fx.newTenant();
    const call = fx.runtime.invokeLlm(ask(tenant));
    const error = await failure(call.result);
    expect(error).toMatchObject({
      code: 'provider_not_initialize',
      status: 400,
      message: 'Model m credentials is not initialized.',
    });
    await expect(drain(call)).rejects.toMatchObject({ code: 'provider_not_initialize' });
    expect((await failure(fx.runtime.invokeLlm({ ...ask(), provider: 'nope' }).result)).code).toBe(
      'provider_not_initialize',
    );
  });

  it('401 → completion_request_error saying the credentials are wrong, without echoing them', async () => {
    const tenant = await fx.newTenant();
    // Stored while the key was right, then the provider stops accepting it (a revoked key).
    const other = await startStandIn({ apiKeys: ['sk-first-key-0000000000'] });
    try {
      await fx.runtime.console.createModelCredential(tenant, 'openai_api_compatible', {
        model: 'm',
        type: 'llm',
        credentials: { endpoint_url: other.openaiBaseUrl, api_key: 'sk-first-key-0000000000', mode: 'chat' },
      });
      await other.close();
      const revoked = await startStandIn({ apiKeys: ['sk-other-key'] });
      await fx.pool.query(
        `UPDATE provider_model_credentials SET encrypted_config = replace(encrypted_config, $1, $2) WHERE tenant_id = $3`,
        [other.openaiBaseUrl, revoked.openaiBaseUrl, tenant],
      );
      const error = await failure((await fx.another()).invokeLlm(ask(tenant)).result);
      await revoked.close();
      expect(error).toMatchObject({ code: 'completion_request_error', kind: 'authorization', upstreamStatus: 401 });
      expect(error.message).toBe(
        '[openai_api_compatible] Incorrect model credentials provided, please check and try again. ',
      );
      expect(error.message).not.toContain('sk-first');
    } finally {
      await other.close().catch(() => {});
    }
  });

  it('429 → Rate Limit Error and 500 → Server Unavailable Error (completion_request_error), streaming or not', async () => {
    llm.failNext(429, { message: 'Rate limit reached for requests', type: 'rate_limit_error' });
    const limited = await failure(fx.runtime.invokeLlm(ask()).result);
    expect(limited).toMatchObject({
      code: 'completion_request_error',
      status: 400,
      kind: 'rate_limit',
      upstreamStatus: 429,
    });
    expect(limited.message).toMatch(/^\[openai_api_compatible\] Rate Limit Error, .*Rate limit reached/);

    llm.failNext(500, { message: 'upstream exploded' });
    const call = fx.runtime.invokeLlm(ask());
    await expect(drain(call)).rejects.toMatchObject({ code: 'completion_request_error', kind: 'server_unavailable' });
    expect((await failure(call.result)).message).toMatch(/^\[openai_api_compatible\] Server Unavailable Error, /);

    expect((await fx.runtime.invokeLlm(ask()).result).text).toBe(DEFAULT_REPLY);
  });

  it('the mapping is the same for the Anthropic and Azure SDKs (429 from Anthropic, 500 from Azure)', async () => {
    const tenant = await fx.newTenant();
    await fx.runtime.console.createProviderCredential(tenant, 'anthropic', {
      credentials: { anthropic_api_key: KEY, anthropic_api_url: llm.url },
    });
    await fx.runtime.console.createModelCredential(tenant, 'azure_openai', {
      model: 'dep',
      type: 'llm',
      credentials: {
        openai_api_base: llm.url,
        openai_api_key: KEY,
        openai_api_version: '2024-06-01',
        base_model_name: 'gpt-4o',
      },
    });
    llm.failNext(429, { message: 'Number of requests has exceeded your rate limit', type: 'rate_limit_error' });
    const limited = await failure(
      fx.runtime.invokeLlm({ ...ask(tenant), provider: 'anthropic', model: 'claude-3-5-haiku-latest' }).result,
    );
    expect(limited).toMatchObject({ code: 'completion_request_error', kind: 'rate_limit', upstreamStatus: 429 });
    expect(limited.message).toMatch(/^\[anthropic\] Rate Limit Error, /);
    llm.failNext(500, { message: 'The server had an error' });
    const down = await failure(fx.runtime.invokeLlm({ ...ask(tenant), provider: 'azure_openai', model: 'dep' }).result);
    expect(down).toMatchObject({ kind: 'server_unavailable', upstreamStatus: 500 });
    expect(down.message).toMatch(/^\[azure_openai\] Server Unavailable Error, /);
    expect((await fx.runtime.invokeLlm({ ...ask(tenant), provider: 'azure_openai', model: 'dep' }).result).text).toBe(
      DEFAULT_REPLY,
    );
  });

  it('a provider slower than the bound: a connection error (timed out), not a hang', async () => {
    const quick = await fx.another({ timeouts: { idleMs: 300, totalMs: 5_000 } });
    llm.setChaos({ latencyMs: 3_000 });
    try {
      const error = await failure(quick.invokeLlm(ask()).result);
      expect(error).toMatchObject({ code: 'completion_request_error', kind: 'connection' });
      expect(error.message).toMatch(/^\[openai_api_compatible\] Connection Error, Request timed out/);
    } finally {
      llm.clearChaos();
    }
  });

  it('a malformed stream and a dropped connection are completion_request_error', async () => {
    llm.setChaos({ malformedRate: 1 });
    try {
      expect((await failure(fx.runtime.invokeLlm(ask()).result)).code).toBe('completion_request_error');
    } finally {
      llm.clearChaos();
    }
    llm.setChaos({ disconnectRate: 1 });
    try {
      expect((await failure(fx.runtime.invokeLlm(ask()).result)).code).toBe('completion_request_error');
    } finally {
      llm.clearChaos();
    }
  });

  it('a malformed stream fails every built-in SDK (openai chat and completion, anthropic, azure), blocking and streaming, never an empty answer', async () => {
    const tenant = await fx.newTenant();
    await fx.runtime.console.createProviderCredential(tenant, 'openai', {
      credentials: { openai_api_key: KEY, openai_api_base: llm.url },
    });
    await fx.runtime.console.createProviderCredential(tenant, 'anthropic', {
      credentials: { anthropic_api_key: KEY, anthropic_api_url: llm.url },
    });
    await fx.runtime.console.createModelCredential(tenant, 'azure_openai', {
      model: 'dep',
      type: 'llm',
      credentials: {
        openai_api_base: llm.url,
        openai_api_key: KEY,
        openai_api_version: '2024-06-01',
        base_model_name: 'gpt-4o',
      },
    });
    // @ai-sdk/openai reads a body that is not SSE as a stream without events and finishes it without an error part.
    const requests = [
      { provider: 'openai', model: 'gpt-4o-mini' },
      { provider: 'openai', model: 'gpt-3.5-turbo-instruct' },
      { provider: 'anthropic', model: 'claude-3-5-haiku-latest' },
      { provider: 'azure_openai', model: 'dep' },
    ].map((m) => ({ ...ask(tenant), ...m }));
    for (const request of requests) expect((await fx.runtime.invokeLlm(request).result).text).toBe(DEFAULT_REPLY);
    llm.setChaos({ malformedRate: 1 });
    try {
      for (const request of requests) {
        const error = await failure(fx.runtime.invokeLlm(request).result);
        expect(error).toMatchObject({ code: 'completion_request_error', status: 400 });
        expect(error.message.startsWith(`[${request.provider}] `)).toBe(true);
        await expect(drain(fx.runtime.invokeLlm(request))).rejects.toMatchObject({ code: 'completion_request_error' });
      }
    } finally {
      llm.clearChaos();
    }
    expect((await fx.runtime.invokeLlm(requests[0]!).result).text).toBe(DEFAULT_REPLY);
  });

  it('an unreachable port: Connection Error', async () => {
    const tenant = await fx.newTenant();
    const gone = await startStandIn();
    await fx.runtime.console.createModelCredential(tenant, 'openai_api_compatible', {
      model: 'm',
      type: 'llm',
      credentials: { endpoint_url: gone.openaiBaseUrl, mode: 'chat' },
    });
    await gone.close();
    const error = await failure(fx.runtime.invokeLlm(ask(tenant)).result);
    expect(error).toMatchObject({ code: 'completion_request_error', kind: 'connection' });
    expect(error.message).toMatch(/^\[openai_api_compatible\] Connection Error, /);
    const free = await getPort({ host: '127.0.0.1' });
    const check = await fx.runtime.console.validateModelCredentials(tenant, 'openai_api_compatible', {
      model: 'm',
      type: 'llm',
      credentials: { endpoint_url: `http://127.0.0.1:${free}/v1`, mode: 'chat' },
    });
    expect(check).toMatchObject({ result: 'error', error: expect.stringMatching(/Connection Error/) });
  });
});

describe('abort', () => {
  it('resolves with finishReason aborted and the text streamed so far', async () => {
    const slow = await startStandIn({
      reply: 'one two three four five six seven eight nine ten',
      chunkSize: 4,
      latencyMs: 150,
    });
    try {
      const tenant = await fx.newTenant();
      await fx.runtime.console.createModelCredential(tenant, 'openai_api_compatible', {
        model: 'm',
        type: 'llm',
        credentials: { endpoint_url: slow.openaiBaseUrl, mode: 'chat' },
      });
      const controller = new AbortController();
      const call = fx.runtime.invokeLlm({ ...ask(tenant), signal: controller.signal });
      const seen: string[] = [];
      for await (const delta of call.textStream) {
        seen.push(delta);
        if (seen.length === 2) controller.abort();
      }
      const result = await call.result;
      expect(result.finishReason).toBe('aborted');
      expect(result.text).toBe(seen.join(''));
      expect(result.text.length).toBeGreaterThan(0);
      expect(result.text.length).toBeLessThan('one two three four five six seven eight nine ten'.length);
      expect(result.usage.completion_tokens).toBeGreaterThan(0);

      const before = new AbortController();
      before.abort();
      expect(await fx.runtime.invokeLlm({ ...ask(tenant), signal: before.signal }).result).toMatchObject({
        finishReason: 'aborted',
        text: '',
      });
    } finally {
      await slow.close();
    }
  });
});
