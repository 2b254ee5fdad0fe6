import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/server/logger.js';
import { tempDir } from '../helpers/cli.js';

function capture(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY });
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

const flush = (logger: ReturnType<typeof createLogger>) =>
  new Promise<void>((resolve) => logger.flush(() => resolve()));

describe('createLogger', () => {
  it('writes JSON lines off a TTY and to LOG_FILE, honouring LOG_LEVEL', async () => {
    const tmp = await tempDir();
    try {
      const file = path.join(tmp.dir, 'logs/api.log');
      const console = capture(false);
      const logger = createLogger({
        settings: { LOG_LEVEL: 'WARNING', LOG_FILE: file },
        stream: console.stream,
        base: { mode: 'api' },
      });
      logger.info('hidden');
      logger.warn({ port: 5001 }, 'shown');
      await flush(logger);
      const line = JSON.parse(console.text().trim()) as Record<string, unknown>;
      expect(line).toMatchObject({ msg: 'shown', port: 5001, mode: 'api', level: 40 });
      expect(console.text()).not.toContain('hidden');
      const fileLines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(fileLines).toHaveLength(1);
      expect(JSON.parse(fileLines[0]!)).toMatchObject({ msg: 'shown' });
    } finally {
      await tmp.cleanup();
    }
  });

  it('prints readable lines on a TTY', async () => {
    const console = capture(true);
    const logger = createLogger({ settings: { LOG_LEVEL: 'DEBUG' }, stream: console.stream });
    logger.debug('readable');
    await flush(logger);
    expect(console.text()).toContain('readable');
    expect(() => JSON.parse(console.text())).toThrow();
  });
});
