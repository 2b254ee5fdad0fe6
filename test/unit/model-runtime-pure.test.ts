import { describe, expect, it } from 'vitest';
import {
  normalizeCredentials,
  obfuscateCredentials,
  openCredentials,
  sealCredentials,
} from '../../src/model-runtime/credentials.js';
import { ModelConfigError } from '../../src/model-runtime/config-error.js';
import { toModelError } from '../../src/model-runtime/errors.js';
import { contextSizeOf, priceOf } from '../../src/model-runtime/prices.js';
import { openaiProvider } from '../../src/model-runtime/providers/openai.js';
import { ollamaProvider } from '../../src/model-runtime/providers/ollama.js';
import {
  decryptSecret,
  deriveCredentialKey,
  encryptSecret,
  HIDDEN_VALUE,
  obfuscateToken,
} from '../../src/model-runtime/secrets.js';
import { countTokens } from '../../src/model-runtime/tokens.js';
import { addPrices, llmUsage, priceFor } from '../../src/model-runtime/usage.js';

const TENANT = '6b0f7c34-3a0e-4a59-9a1b-2c7d1c1e0a01';

describe("Dify's obfuscated_token", () => {
  it('keeps the first 6 and last 2 characters around 12 stars; 20 stars for 8 or fewer; empty stays empty', () => {
    expect(obfuscateToken('sk-abcdefghijklmnopqrstuvwxyz')).toBe('sk-abc************yz');
    expect(obfuscateToken('123456789')).toBe('123456************89');
    expect(obfuscateToken('12345678')).toBe('*'.repeat(20));
    expect(obfuscateToken('')).toBe('');
  });
});

describe('credential encryption (AES-256-GCM, key from SECRET_KEY by HKDF)', () => {
  const key = deriveCredentialKey('a-secret-key');
  it('round-trips, never stores the plaintext, and differs on every encryption', () => {
    const a = encryptSecret(key, 'sk-live-123', TENANT);
    const b = encryptSecret(key, 'sk-live-123', TENANT);
    expect(a).not.toContain('sk-live');
    expect(a).not.toBe(b);
    expect(decryptSecret(key, a, TENANT)).toBe('sk-live-123');
  });
  it('refuses another SECRET_KEY, another workspace, and a tampered value', () => {
    const sealed = encryptSecret(key, 'sk-live-123', TENANT);
    expect(() => decryptSecret(deriveCredentialKey('another-key'), sealed, TENANT)).toThrow();
    expect(() => decryptSecret(key, sealed, '00000000-0000-0000-0000-000000000000')).toThrow();
    const raw = Buffer.from(sealed.slice('aesgcm:v1:'.length), 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => decryptSecret(key, `aesgcm:v1:${raw.toString('base64')}`, TENANT)).toThrow();
  });
  it('seals only secret-input fields; opening gives back the credentials; display obfuscates them', () => {
    const creds = { openai_api_key: 'sk-abcdefghijklmnop', openai_api_base: 'http://127.0.0.1:1' };
    const sealed = sealCredentials({
      key,
      tenantId: TENANT,
      spec: openaiProvider,
      scope: 'provider',
      credentials: creds,
    });
    const stored = JSON.parse(sealed) as Record<string, string>;
    expect(stored.openai_api_base).toBe('http://127.0.0.1:1');
    expect(stored.openai_api_key).toMatch(/^aesgcm:v1:/);
    expect(openCredentials({ key, tenantId: TENANT, encryptedConfig: sealed })).toEqual(creds);
    expect(obfuscateCredentials(openaiProvider, 'provider', creds)).toEqual({
      openai_api_key: 'sk-abc************op',
      openai_api_base: 'http://127.0.0.1:1',
    });
  });
});

describe('credentials through the form schema', () => {
  it('keeps only known variables, accepts the api_key alias, requires required ones', () => {
    expect(
      normalizeCredentials({
        spec: openaiProvider,
        scope: 'provider',
        credentials: { api_key: 'sk-x', extra: 'dropped' },
      }),
    ).toEqual({ openai_api_key: 'sk-x' });
    expect(() => normalizeCredentials({ spec: openaiProvider, scope: 'provider', credentials: {} })).toThrow(
      new ModelConfigError('invalid_param', 'Variable openai_api_key is required'),
    );
  });
  it('[__HIDDEN__] keeps the stored secret, and is refused when nothing is stored', () => {
    const out = normalizeCredentials({
      spec: openaiProvider,
      scope: 'provider',
      credentials: { openai_api_key: HIDDEN_VALUE, openai_organization: 'org-2' },
      stored: { openai_api_key: 'sk-stored' },
    });
    expect(out).toEqual({ openai_api_key: 'sk-stored', openai_organization: 'org-2' });
    expect(() =>
      normalizeCredentials({ spec: openaiProvider, scope: 'provider', credentials: { openai_api_key: HIDDEN_VALUE } }),
    ).toThrow(/openai_api_key/);
  });
  it('fills defaults, checks select options, and skips fields not shown for the model type', () => {
    const llm = normalizeCredentials({
      spec: ollamaProvider,
      scope: 'model',
      credentials: { base_url: 'http://h:11434', context_size: 8192 },
      modelType: 'llm',
    });
    expect(llm).toEqual({ base_url: 'http://h:11434', mode: 'chat', context_size: '8192', max_tokens: '4096' });
    const embedding = normalizeCredentials({
      spec: ollamaProvider,
      scope: 'model',
      credentials: { base_url: 'http://h:11434', mode: 'chat' },
      modelType: 'text-embedding',
    });
    expect(embedding).toEqual({ base_url: 'http://h:11434', context_size: '4096' });
    expect(() =>
      normalizeCredentials({
        spec: ollamaProvider,
        scope: 'model',
        credentials: { base_url: 'http://h', mode: 'poetry' },
        modelType: 'llm',
      }),
    ).toThrow(/mode is not in options/);
  });
});

describe('usage arithmetic (Dify: tokens × unit price × price unit, 7 places, half up)', () => {
  it('prices exactly with decimals', () => {
    expect(priceFor(1033, '0.001', '0.001')).toBe('0.0010330');
    expect(priceFor(128, '0.002', '0.001')).toBe('0.0002560');
    expect(addPrices('0.0010330', '0.0002560')).toBe('0.0012890');
    expect(priceFor(1, '0.15', '0.000001')).toBe('0.0000002'); // 0.00000015 rounds half up
    expect(priceFor(3, '0.15', '0.000001')).toBe('0.0000005'); // 0.00000045
    expect(priceFor(0, '2.50', '0.000001')).toBe('0.0000000');
  });
  it("builds Dify's LLMUsage, with empty prices for unknown models", () => {
    const priced = llmUsage({
      promptTokens: 1000,
      completionTokens: 500,
      price: priceOf('gpt-4o-mini-2024-07-18'),
      latencySeconds: 0.5,
    });
    expect(priced).toEqual({
      prompt_tokens: 1000,
      prompt_unit_price: '0.15',
      prompt_price_unit: '0.000001',
      prompt_price: '0.0001500',
      completion_tokens: 500,
      completion_unit_price: '0.60',
      completion_price_unit: '0.000001',
      completion_price: '0.0003000',
      total_tokens: 1500,
      total_price: '0.0004500',
      currency: 'USD',
      latency: 0.5,
    });
    expect(llmUsage({ promptTokens: 3, completionTokens: 4, latencySeconds: 1 })).toMatchObject({
      prompt_price: '0.0',
      total_price: '0.0',
      prompt_unit_price: '0.0',
      currency: 'USD',
      total_tokens: 7,
    });
  });
  it('matches models by the longest known prefix', () => {
    expect(priceOf('gpt-4o-2024-08-06')?.input).toBe('2.50');
    expect(priceOf('gpt-4o-mini')?.input).toBe('0.15');
    expect(priceOf('claude-3-5-haiku-20241022')?.output).toBe('4.00');
    expect(priceOf('llama3')).toBeUndefined();
    expect(contextSizeOf('gpt-4o-mini')).toBe(128_000);
    expect(contextSizeOf('claude-3-haiku-20240307')).toBe(200_000);
  });
});

describe('token counting', () => {
  it('counts with a BPE tokenizer, plus framing per chat message', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('hello world')).toBe(2);
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: [{ type: 'text' as const, text: 'hello world' }] },
    ];
    expect(countTokens(messages)).toBe(3 + (3 + 1 + countTokens('Be brief.')) + (3 + 1 + 2));
  });
});

describe('error mapping of non-HTTP failures', () => {
  it('a refused connection is a Connection Error; an unknown failure a plain one', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(toModelError('ollama', refused)).toMatchObject({
      code: 'completion_request_error',
      kind: 'connection',
      message: '[ollama] Connection Error, connect ECONNREFUSED 127.0.0.1:9',
    });
    expect(toModelError('echo', new Error('boom'))).toMatchObject({ kind: 'other', message: '[echo] Error: boom' });
    expect(toModelError('echo', Object.assign(new Error('slow down'), { status: 429 }))).toMatchObject({
      kind: 'rate_limit',
      upstreamStatus: 429,
    });
  });
});

describe('prompt and stream parts for the provider', () => {
  it("converts Dify messages to the SDK's prompt; data: URLs go as bytes with their media type", async () => {
    const { toProviderPrompt } = await import('../../src/model-runtime/provider-prompt.js');
    const prompt = toProviderPrompt([
      { role: 'system', content: 'sys' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          { type: 'image', url: 'data:image/png;base64,AAAA' },
          { type: 'image', url: 'https://example.com/a.jpg', mimeType: 'image/jpeg' },
        ],
      },
      { role: 'assistant', content: 'seen' },
    ]);
    expect(prompt).toEqual([
      { role: 'system', content: 'sys' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          { type: 'file', data: 'AAAA', mediaType: 'image/png' },
          { type: 'file', data: new URL('https://example.com/a.jpg'), mediaType: 'image/jpeg' },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'seen' }] },
    ]);
  });
  it('reads usage and finish reasons of V3 and V2 models alike', async () => {
    const { finishReasonOf, usageOfFinish } = await import('../../src/model-runtime/provider-prompt.js');
    expect(usageOfFinish({ inputTokens: { total: 5 }, outputTokens: { total: 7 } })).toEqual({
      inputTokens: 5,
      outputTokens: 7,
    });
    expect(usageOfFinish({ inputTokens: 5, outputTokens: undefined })).toEqual({
      inputTokens: 5,
      outputTokens: undefined,
    });
    expect([
      finishReasonOf({ unified: 'length', raw: 'max_tokens' }),
      finishReasonOf('stop'),
      finishReasonOf('tool-calls'),
    ]).toEqual(['length', 'stop', 'other']);
  });
});
