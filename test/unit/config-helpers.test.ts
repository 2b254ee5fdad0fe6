import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/durations.js';
import { editDistance, nearMiss } from '../../src/config/near-miss.js';
import { isSecretKey, redact } from '../../src/config/secrets.js';
import { SourceFile } from '../../src/config/source-file.js';
import { SETTING_KEYS } from '../../src/config/schema.js';

describe('secrets', () => {
  it.each([
    'DB_PASSWORD',
    'SECRET_KEY',
    'WEAVIATE_API_KEY',
    'INNER_API_KEY_FOR_PLUGIN',
    'NOTION_INTERNAL_SECRET',
    'SOME_TOKEN',
    'SENTRY_DSN',
  ])('%s is secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
    expect(redact(key, 'value')).toBe('***');
  });

  it.each(['DB_HOST', 'DIFY_PORT', 'KEYWORD_STORE', 'MODE'])('%s is not secret', (key) => {
    expect(isSecretKey(key)).toBe(false);
    expect(redact(key, 'value')).toBe('value');
  });

  it('masks credentials inside URLs and keeps the rest', () => {
    expect(redact('CELERY_BROKER_URL', 'redis://:pw@redis:6379/1')).toBe('redis://:***@redis:6379/1');
    expect(redact('DATABASE_URL', 'postgresql://user:pw@db:5432/dify')).toBe('postgresql://user:***@db:5432/dify');
    expect(redact('ENDPOINT', 'http://weaviate:8080')).toBe('http://weaviate:8080');
    expect(redact('DB_PASSWORD', '')).toBe('');
  });
});

describe('near-miss keys', () => {
  it('suggests the known key one edit away', () => {
    expect(nearMiss('DB_PASWORD', SETTING_KEYS)).toBe('DB_PASSWORD');
    expect(nearMiss('REDIS_PASSWROD', SETTING_KEYS)).toBe('REDIS_PASSWORD');
    expect(nearMiss('SERVER_WORKER_AMOUN', SETTING_KEYS)).toBe('SERVER_WORKER_AMOUNT');
  });

  it('leaves known and unrelated keys alone', () => {
    expect(nearMiss('DB_PORT', SETTING_KEYS)).toBeUndefined();
    expect(nearMiss('OPENAI_API_BASE', SETTING_KEYS)).toBeUndefined();
    expect(nearMiss('DB_TYPE', SETTING_KEYS)).toBeUndefined();
  });

  it('computes bounded edit distances', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('a', 'abcdefgh', 2)).toBe(3);
  });
});

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['10', 10_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('rejects what is not a duration', () => {
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('10x')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });
});

describe('source excerpts', () => {
  it('shows the line before, the line, and a caret under the column', () => {
    const file = new SourceFile('/p/.env', 'A=1\nDIFY_PORT=abc\n', '.env');
    expect(file.position(14)).toEqual({ line: 2, column: 11 });
    expect(file.excerpt(2, 11)).toBe('  1 | A=1\n  2 | DIFY_PORT=abc\n    |           ^');
  });

  it('tolerates CRLF and the first line', () => {
    const file = new SourceFile('/p/.env', 'X=${\r\nY=2\r\n', '.env');
    expect(file.lineText(1)).toBe('X=${');
    expect(file.excerpt(1, 3)).toBe('  1 | X=${\n    |   ^');
  });
});
