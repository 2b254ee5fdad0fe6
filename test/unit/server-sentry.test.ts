import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { initSentry } from '../../src/server/sentry.js';

describe('initSentry', () => {
  it('does nothing without SENTRY_DSN', async () => {
    expect(
      await initSentry({
        tracesSampleRate: 1,
        environment: 'TESTING',
        release: '0',
        logger: pino({ level: 'silent' }),
      }),
    ).toBeUndefined();
  });

  it('says how to enable reporting when SENTRY_DSN is set but @sentry/node is not installed', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const capture = await initSentry({
      dsn: 'https://key@o0.ingest.sentry.io/0',
      tracesSampleRate: 1,
      environment: 'TESTING',
      release: '0',
      logger,
    });
    expect(capture).toBeUndefined();
    expect(lines.join('')).toMatch(/npm install @sentry\/node/);
    expect(lines.join('')).not.toContain('key@');
  });
});
