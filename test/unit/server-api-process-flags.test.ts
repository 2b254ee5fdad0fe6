import { describe, expect, it } from 'vitest';
import { API_SEMI_SPACE_MB, apiProcessExecArgv } from '../../src/server/cluster.js';

describe('the Node flags api processes are forked with', () => {
  it("adds the young generation to the primary's own flags", () => {
    expect(apiProcessExecArgv(['--enable-source-maps'])).toEqual([
      '--enable-source-maps',
      `--max-semi-space-size=${API_SEMI_SPACE_MB}`,
    ]);
  });

  it('keeps a young generation the user chose, in the flags or in NODE_OPTIONS, in any spelling', () => {
    expect(apiProcessExecArgv(['--max-semi-space-size=64'])).toEqual(['--max-semi-space-size=64']);
    expect(apiProcessExecArgv([], '--max_semi_space_size=8 --trace-gc')).toEqual([]);
    expect(apiProcessExecArgv([], '--max-old-space-size=512 --max-semi-space-size 4')).toEqual([]);
  });

  it('is not fooled by a look-alike flag', () => {
    expect(apiProcessExecArgv([], '--max-semi-space-sizes=1')).toEqual([`--max-semi-space-size=${API_SEMI_SPACE_MB}`]);
  });
});
