import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenService } from '../../src/server/services/auth-tokens.js';
import type { KeyValueStore } from '../../src/server/store/types.js';

/** Only `set` is used by issue(); verifyAccess touches no store. */
const kv = { kind: 'postgres', set: async () => {} } as unknown as KeyValueStore; // the other methods are never called here

afterEach(() => {
  vi.useRealTimers();
});

describe('console access tokens', () => {
  it('accepts a token again from memory until its expiry, then refuses it', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-30T12:00:00Z'), toFake: ['Date'] });
    const tokens = createTokenService({ secretKey: 'unit-secret-key-0123456789', kv, accessTtlSeconds: 60 });
    const claims = { accountId: 'a1', tenantId: 't1' };
    const { access_token } = await tokens.issue(claims);
    expect(await tokens.verifyAccess(access_token)).toEqual(claims);
    expect(await tokens.verifyAccess(access_token)).toEqual(claims);
    vi.setSystemTime(new Date('2026-11-30T12:01:01Z'));
    expect(await tokens.verifyAccess(access_token)).toBeNull();
  });

  it('refuses a token whose signature does not hold, even after the good one was accepted', async () => {
    const tokens = createTokenService({ secretKey: 'unit-secret-key-0123456789', kv });
    const { access_token } = await tokens.issue({ accountId: 'a1', tenantId: 't1' });
    expect(await tokens.verifyAccess(access_token)).not.toBeNull();
    const [header, body] = access_token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), tid: 't2' })).toString('base64url')}.${access_token.split('.')[2]}`;
    expect(await tokens.verifyAccess(forged)).toBeNull();
    const other = createTokenService({ secretKey: 'another-secret-key-0123456789', kv });
    expect(await other.verifyAccess(access_token)).toBeNull();
  });

  it('asks stillValid on every request, cached signature or not', async () => {
    let valid = true;
    const tokens = createTokenService({ secretKey: 'unit-secret-key-0123456789', kv, stillValid: async () => valid });
    const { access_token } = await tokens.issue({ accountId: 'a1', tenantId: 't1' });
    expect(await tokens.verifyAccess(access_token)).not.toBeNull();
    valid = false;
    expect(await tokens.verifyAccess(access_token)).toBeNull();
  });
});
