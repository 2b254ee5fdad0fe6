import { createHmac } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { signHs256, verifyHs256 } from '../../src/server/services/jwt-hs256.js';

const secret = Buffer.from('a-secret-key-0123456789abcdef0123456789');
const now = Math.floor(Date.now() / 1000);
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('HS256 tokens with node:crypto', () => {
  it('reads what jose signs, and jose reads what it signs', async () => {
    const byJose = await new SignJWT({ tid: 't1', typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('a1')
      .setIssuer('difyctl')
      .setIssuedAt()
      .setExpirationTime(now + 60)
      .sign(secret);
    expect(verifyHs256(byJose, secret, { issuer: 'difyctl' })).toMatchObject({ sub: 'a1', tid: 't1', typ: 'access' });
    const ours = signHs256({ sub: 'a2', tid: 't2', iss: 'difyctl', iat: now, exp: now + 60 }, secret);
    const { payload } = await jwtVerify(ours, secret, { algorithms: ['HS256'], issuer: 'difyctl' });
    expect(payload).toMatchObject({ sub: 'a2', tid: 't2' });
  });

  it('refuses another key, another issuer, an expired token, alg none, crit headers and garbage', () => {
    const claims = { sub: 'a', iss: 'difyctl', exp: now + 60 };
    const good = signHs256(claims, secret);
    expect(verifyHs256(good, Buffer.from('another-key-0123456789abcdef0123456789'), { issuer: 'difyctl' })).toBeNull();
    expect(verifyHs256(good, secret, { issuer: 'someone-else' })).toBeNull();
    expect(verifyHs256(signHs256({ ...claims, exp: now - 1 }, secret), secret, { issuer: 'difyctl' })).toBeNull();
    expect(verifyHs256(signHs256({ sub: 'a', iss: 'difyctl' }, secret), secret, { issuer: 'difyctl' })).toBeNull();
    expect(verifyHs256(signHs256({ ...claims, nbf: now + 600 }, secret), secret, { issuer: 'difyctl' })).toBeNull();
    expect(verifyHs256(`${b64({ alg: 'none' })}.${b64(claims)}.`, secret, { issuer: 'difyctl' })).toBeNull();
    const [, body, sig] = good.split('.');
    expect(verifyHs256(`${b64({ alg: 'none' })}.${body}.${sig}`, secret, { issuer: 'difyctl' })).toBeNull();
    expect(
      verifyHs256(`${b64({ alg: 'HS256' })}.${b64({ ...claims, sub: 'b' })}.${sig}`, secret, { issuer: 'difyctl' }),
    ).toBeNull();
    for (const junk of ['', '.', '..', 'a.b', 'a.b.c', `${good}x`, good.replace(/\./g, ''), '\u0000.\u0000.\u0000']) {
      expect(verifyHs256(junk, secret, { issuer: 'difyctl' })).toBeNull();
    }
  });

  it('refuses a well-signed token whose header is not HS256 or carries crit', () => {
    const sign = (header: unknown): string => {
      const body = `${b64(header)}.${b64({ sub: 'a', iss: 'difyctl', exp: now + 60 })}`;
      const mac = createHmac('sha256', secret).update(body).digest('base64url');
      return `${body}.${mac}`;
    };
    expect(verifyHs256(sign({ alg: 'HS256' }), secret, { issuer: 'difyctl' })).not.toBeNull();
    expect(verifyHs256(sign({ alg: 'HS512' }), secret, { issuer: 'difyctl' })).toBeNull();
    expect(verifyHs256(sign({ alg: 'HS256', crit: ['b64'] }), secret, { issuer: 'difyctl' })).toBeNull();
  });
});
