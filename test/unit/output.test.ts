import { describe, expect, it } from 'vitest';
import { DifyctlError, classify } from '../../src/errors/index.js';
import { colorLevel } from '../../src/output/output.js';
import { renderTable } from '../../src/output/table.js';

describe('colour', () => {
  it('is on for a TTY only', () => {
    expect(colorLevel({ isTTY: true, env: {} })).toBe(1);
    expect(colorLevel({ isTTY: false, env: {} })).toBe(0);
  });

  it('respects NO_COLOR, FORCE_COLOR and --no-color', () => {
    expect(colorLevel({ isTTY: true, env: { NO_COLOR: '1' } })).toBe(0);
    expect(colorLevel({ isTTY: false, env: { FORCE_COLOR: '1' } })).toBe(1);
    expect(colorLevel({ isTTY: true, env: { FORCE_COLOR: '0' } })).toBe(0);
    expect(colorLevel({ flag: false, isTTY: true, env: { FORCE_COLOR: '3' } })).toBe(0);
  });
});

describe('tables', () => {
  it('aligns columns by visible width', () => {
    expect(
      renderTable(
        ['A', 'BB'],
        [
          ['\u001b[31mxxx\u001b[39m', 'y'],
          ['z', 'w'],
        ],
      ),
    ).toBe('A    BB\n\u001b[31mxxx\u001b[39m  y\nz    w');
  });
});

describe('classify', () => {
  const sys = (code: string) => Object.assign(new Error(code), { code, address: '127.0.0.1', port: 5432 });

  it.each([
    ['EADDRINUSE', 'NET.ADDRESS_IN_USE'],
    ['ECONNREFUSED', 'NET.CONNECTION_REFUSED'],
    ['ENOTFOUND', 'NET.HOST_NOT_FOUND'],
    ['EACCES', 'FS.PERMISSION'],
    ['ENOENT', 'FS.NOT_FOUND'],
  ])('turns %s into %s with the address', (raw, code) => {
    const error = classify(sys(raw));
    expect(error).toBeInstanceOf(DifyctlError);
    expect((error as DifyctlError).code).toBe(code);
    expect((error as DifyctlError).message).toContain('127.0.0.1');
  });

  it('leaves unknown errors for the bug report', () => {
    const error = new TypeError('boom');
    expect(classify(error)).toBe(error);
  });
});

describe('task list renderer', () => {
  it('animates only on an interactive terminal', async () => {
    const { chooseRenderer } = await import('../../src/output/renderer.js');
    expect(chooseRenderer({ isTTY: true, env: {} })).toBe('default');
    expect(chooseRenderer({ isTTY: false, env: {} })).toBe('verbose');
    expect(chooseRenderer({ isTTY: true, env: { CI: 'true' } })).toBe('verbose');
    expect(chooseRenderer({ isTTY: true, env: { CI: 'false' } })).toBe('default');
    expect(chooseRenderer({ isTTY: true, env: { TERM: 'dumb' } })).toBe('verbose');
    expect(chooseRenderer({ isTTY: true, env: {}, verbose: true })).toBe('verbose');
    expect(chooseRenderer({ isTTY: true, env: {}, json: true })).toBe('silent');
    expect(chooseRenderer({ isTTY: true, env: {}, columns: 0 })).toBe('verbose');
    expect(chooseRenderer({ isTTY: true, env: {}, columns: 120 })).toBe('default');
  });
});
