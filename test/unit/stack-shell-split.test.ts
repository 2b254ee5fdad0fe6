import { describe, expect, it } from 'vitest';
import { shellSplit, toArgv } from '../../src/stack/providers/docker/shell-split.js';
import { DifyctlError } from '../../src/errors/index.js';

describe('shellSplit (compose string commands)', () => {
  it("splits Dify's postgres command with single-quoted -c values", () => {
    expect(shellSplit("postgres -c 'max_connections=100'\n  -c 'shared_buffers=128MB'")).toEqual([
      'postgres',
      '-c',
      'max_connections=100',
      '-c',
      'shared_buffers=128MB',
    ]);
  });

  it('keeps spaces inside quotes and handles escapes like a shell', () => {
    expect(shellSplit(`redis-server --requirepass "a b\\"c" it\\'s ''`)).toEqual([
      'redis-server',
      '--requirepass',
      'a b"c',
      "it's",
      '',
    ]);
    expect(shellSplit('a\'b\'c "d"e')).toEqual(['abc', 'de']);
  });

  it('passes list commands through and rejects an unterminated quote', () => {
    expect(toArgv(['redis-server', '--port', '1'])).toEqual(['redis-server', '--port', '1']);
    expect(toArgv(undefined)).toBeUndefined();
    expect(() => shellSplit("postgres -c 'x")).toThrow(DifyctlError);
  });
});
