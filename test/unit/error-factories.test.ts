import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectionRefused, DifyctlError, errorFactory, usageError } from '../../src/errors/index.js';
import { REPO_ROOT } from '../helpers/cli.js';

/**
 * One factory per error code (issue 14): a DifyctlError is built only in src/errors/ or in a room's
 * errors.ts, so that every path that meets a fault raises it with the same code.
 */
function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

const isErrorsFile = (file: string) => file.startsWith('src/errors/') || path.posix.basename(file) === 'errors.ts';

/** `file:line` of every `new DifyctlError(` outside the errors files. */
function inlineConstructions(files: Array<{ file: string; text: string }>): string[] {
  return files
    .filter(({ file }) => !isErrorsFile(file))
    .flatMap(({ file, text }) =>
      text.split('\n').flatMap((line, i) => (/new DifyctlError\(/.test(line) ? [`${file}:${i + 1}`] : [])),
    );
}

describe('error factories', () => {
  const files = sourceFiles('src').map((file) => ({ file, text: readFileSync(path.join(REPO_ROOT, file), 'utf8') }));

  it('no `new DifyctlError(` outside src/errors/ and the rooms’ errors.ts', () => {
    expect(inlineConstructions(files)).toEqual([]);
  });

  it('each code has one factory (errorFactory is called once per literal code)', () => {
    const seen = new Map<string, string[]>();
    for (const { file, text } of files)
      for (const m of text.matchAll(/errorFactory\(\s*'([A-Z_]+\.[A-Z_]+)'\s*\)/g)) {
        const code = m[1] ?? '';
        seen.set(code, [...(seen.get(code) ?? []), file]);
      }
    expect([...seen].filter(([, where]) => where.length > 1)).toEqual([]);
  });

  it('a factory builds a DifyctlError of its code with the options (and the exit code the code implies)', () => {
    const error = connectionRefused('Redis does not answer', { hint: 'start it', details: { port: 6379 } });
    expect(error).toBeInstanceOf(DifyctlError);
    expect(error.toJSON()).toEqual({
      code: 'NET.CONNECTION_REFUSED',
      message: 'Redis does not answer',
      hint: 'start it',
      details: { port: 6379 },
    });
    expect(usageError('bad', { hint: 'h' }).hint).toBe('h');
    expect(usageError('bad', 'h').exitCode).toBe(2);
    expect(errorFactory('STACK.LOCKED')('held').exitCode).toBe(3);
  });

  it('the check can fail: an inline construction outside an errors file is found', () => {
    const text = "import x from 'y';\nthrow new DifyctlError('CLI.USAGE', 'x');";
    expect(
      inlineConstructions([
        { file: 'src/stack/stack.ts', text },
        { file: 'src/stack/errors.ts', text },
        { file: 'src/errors/classify.ts', text },
      ]),
    ).toEqual(['src/stack/stack.ts:2']);
  });
});
