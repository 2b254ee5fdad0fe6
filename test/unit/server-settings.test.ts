import { describe, expect, it } from 'vitest';
import { DifyctlError } from '../../src/errors/index.js';
import { settingsFromEnv, workerCount } from '../../src/server/settings.js';

const base = { SECRET_KEY: 'a-secret-key-long-enough-for-production-use' };

describe('settingsFromEnv', () => {
  it('types the environment with the shared schema and keeps Redis unless told otherwise', () => {
    const { settings, redisEnabled } = settingsFromEnv({ ...base, DIFY_PORT: '6001', SERVER_WORKER_AMOUNT: '0' });
    expect(settings.DIFY_PORT).toBe(6001);
    expect(settings.SERVER_WORKER_AMOUNT).toBe(0);
    expect(redisEnabled).toBe(true);
  });

  it('falls back to PostgreSQL with DIFYCTL_REDIS=none or an empty REDIS_HOST', () => {
    expect(settingsFromEnv({ ...base, DIFYCTL_REDIS: 'none' }).redisEnabled).toBe(false);
    expect(settingsFromEnv({ ...base, REDIS_HOST: ' ' }).redisEnabled).toBe(false);
    expect(settingsFromEnv({ ...base, REDIS_HOST: 'redis' }).redisEnabled).toBe(true);
  });

  it('names the variable to fix when a value is invalid', () => {
    const attempt = () => settingsFromEnv({ ...base, GUNICORN_TIMEOUT: 'soon' });
    expect(attempt).toThrow(DifyctlError);
    expect(attempt).toThrow(/GUNICORN_TIMEOUT/);
    expect(() => settingsFromEnv({})).toThrow(/SECRET_KEY/);
    expect(() => settingsFromEnv({ SECRET_KEY: 'short' })).toThrow(/SECRET_KEY is 5 characters/);
    expect(() => settingsFromEnv({ ...base, CUSTOM_MIDDLEWARE_ENABLED: 'true' })).toThrow(/CUSTOM_MIDDLEWARE_MODULE/);
  });

  it('trusts no forwarded header by default, and names a FORWARDED_ALLOW_IPS entry that is not an address', () => {
    const { settings } = settingsFromEnv(base);
    expect(settings.RESPECT_XFORWARD_HEADERS_ENABLED).toBe(false);
    expect(settings.FORWARDED_ALLOW_IPS).toBe('127.0.0.1,::1');
    expect(
      settingsFromEnv({ ...base, RESPECT_XFORWARD_HEADERS_ENABLED: 'true', FORWARDED_ALLOW_IPS: '172.16.0.0/12' })
        .settings.FORWARDED_ALLOW_IPS,
    ).toBe('172.16.0.0/12');
    expect(() => settingsFromEnv({ ...base, FORWARDED_ALLOW_IPS: '10.0.0.0/8, nginx' })).toThrow(
      /FORWARDED_ALLOW_IPS .*nginx/,
    );
  });
});

describe('workerCount', () => {
  it('reads 0 as one process per core', () => {
    expect(workerCount({ SERVER_WORKER_AMOUNT: 0 }, 8)).toBe(8);
    expect(workerCount({ SERVER_WORKER_AMOUNT: 3 }, 8)).toBe(3);
    expect(workerCount({ SERVER_WORKER_AMOUNT: 0 }, 0)).toBe(1);
  });
});
