import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Chalk } from 'chalk';
import { afterEach, describe, expect, it } from 'vitest';
import { configData, renderConfig } from '../../src/cli/render-config.js';
import { renderStatus } from '../../src/cli/render-stack.js';
import { loadConfig } from '../../src/config/resolve.js';
import { loadProject } from '../../src/config/project.js';
import { renderDoctor } from '../../src/doctor/report.js';
import { DifyctlError } from '../../src/errors/index.js';
import { clip, displayValue, escapeControl } from '../../src/output/printable.js';
import { tempDir } from '../helpers/cli.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function project(files: Record<string, string>): Promise<string> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

const plain = new Chalk({ level: 0 });
const GOOD_ENV = 'DEPLOY_ENV=DEVELOPMENT\nSECRET_KEY=dev-secret\n';
const TEN_MB = 10 * 1024 * 1024;

describe('escaping and clipping for text output', () => {
  it('escapes control, DEL, C1 and bidi characters; leaves text and backslashes alone', () => {
    expect(escapeControl('a\u0000b\nc\r\td\u001b[31me\u007f\u0085\u202ef\\x')).toBe(
      'a\\x00b\\nc\\r\\td\\e[31me\\x7f\\u0085\\u202ef\\x',
    );
    expect(escapeControl('line 1\nline 2\u001b', { keepNewlines: true })).toBe('line 1\nline 2\\e');
    expect(escapeControl('héllo — 日本')).toBe('héllo — 日本');
  });

  it('clips to a bounded length and says how many bytes were cut', () => {
    expect(displayValue('x'.repeat(TEN_MB))).toBe(`${'x'.repeat(200)}… (${TEN_MB - 200} bytes cut)`);
    expect(clip('é'.repeat(300))).toEqual({ kept: 'é'.repeat(200), cutBytes: 200 }); // 2 bytes each
    expect(clip(`a${'😀'.repeat(150)}`).kept).toBe(`a${'😀'.repeat(99)}`); // never half a surrogate pair
    expect(displayValue('short')).toBe('short');
  });
});

describe('config text output', () => {
  it('stays small with a 10 MB value (bug: 6.6 s and 3.4 GB), while --json keeps it exact', async () => {
    const dir = await project({
      '.env': `${GOOD_ENV}LOG_FILE=${'a'.repeat(TEN_MB)}\nDIFY_PORT=${'9'.repeat(TEN_MB)}x\n`,
    });
    const config = loadConfig({ projectDir: dir, env: {} });
    const text = renderConfig(config, { showSecrets: false, all: true, color: plain });
    expect(text.length).toBeLessThan(20_000);
    expect(text).toContain(`${'a'.repeat(200)}… (${TEN_MB - 200} bytes cut)`);
    // the DIFY_PORT diagnostic quotes the value and shows the line: both cut
    expect(text).toContain(`DIFY_PORT=${'9'.repeat(200)}… (${TEN_MB + 1 - 200} bytes cut): expected a whole number`);
    const data = configData(config, false) as { settings: Record<string, { value: unknown }> };
    expect(data.settings.LOG_FILE?.value).toBe('a'.repeat(TEN_MB));
  });

  it('an error in a 10 MB value quotes a bounded part of it', async () => {
    const dir = await project({
      '.env': GOOD_ENV,
      'docker-compose.yaml': `services:\n  api:\n    environment:\n      MODE: api\n      LOG_FILE: "\${${'x'.repeat(TEN_MB)}"\n`,
    });
    let error: unknown;
    try {
      loadProject({ projectDir: dir, env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'CONFIG.INTERPOLATION' });
    const e = error as DifyctlError;
    expect(e.message.length + (e.location?.excerpt?.length ?? 0)).toBeLessThan(1000);
  });

  it('escapes NUL, newlines and ESC in values, keys of other services and excerpts; --json stays exact', async () => {
    const compose =
      'services:\n  api:\n    environment:\n      MODE: api\n      LOG_FILE: "a\\0b\\nc\\e[2J"\n      "ODD\\e]0;x\\u0007": "1"\n      DIFY_PORT: "5\\e[31m"\n';
    const dir = await project({ '.env': GOOD_ENV, 'docker-compose.yaml': compose });
    const config = loadConfig({ projectDir: dir, env: {} });
    const text = renderConfig(config, { showSecrets: false, all: true, color: plain });
    expect(text).toContain('a\\x00b\\nc\\e[2J');
    expect(text).toContain('ODD\\e]0;x\\x07');
    expect(text).toContain('DIFY_PORT=5\\e[31m: expected a whole number');
    expect(text).not.toMatch(/[\u0000\u0007\u001b]/);
    const data = configData(config, false) as { settings: Record<string, { value: unknown }> };
    expect(data.settings.LOG_FILE?.value).toBe('a\u0000b\nc\u001b[2J');
  });

  it('escapes control characters in excerpts and keeps the caret under the column', async () => {
    const dir = await project({ '.env': `${GOOD_ENV}MY\tKEY\u001b[2J=1\n` });
    let error: unknown;
    try {
      loadProject({ projectDir: dir, env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DifyctlError);
    const excerpt = (error as DifyctlError).location?.excerpt ?? '';
    const [, line = '', caret = ''] = excerpt.split('\n');
    expect(line).toBe('  3 | MY\tKEY\\e[2J=1');
    expect(caret).toBe('    |   \t   ^');
    expect(excerpt).not.toContain('\u001b');
  });
});

describe('other text tables escape values too', () => {
  it('ps', () => {
    const table = renderStatus([
      {
        service: 'db',
        provider: 'external',
        state: 'reachable',
        health: '-',
        address: 'evil\u001b[2J:5432',
        container: 'x\ny',
      },
    ]);
    expect(table).toContain('evil\\e[2J:5432');
    expect(table).toContain('x\\ny');
    expect(table).not.toContain('\u001b');
  });

  it('doctor', () => {
    const text = renderDoctor(
      {
        checks: [
          {
            id: 'db.connect',
            title: 'db',
            status: 'fail',
            finding: 'cannot reach host\u001b[2J',
            fix: 'set DB_HOST\u0000',
            details: ['\u001b]0;title\u0007'],
            duration_ms: 1,
          },
        ],
        summary: { ok: 0, warn: 0, fail: 1, skip: 0, duration_ms: 1 },
      },
      { color: plain, verbose: true },
    );
    expect(text).toContain('cannot reach host\\e[2J');
    expect(text).toContain('set DB_HOST\\x00');
    expect(text).toContain('\\e]0;title\\x07');
    expect(text).not.toMatch(/[\u0000\u0007\u001b]/);
  });
});

describe('a dangling symbolic link is named, not treated as absent', () => {
  it('.env pointing at a missing file', async () => {
    const dir = await project({});
    await symlink(path.join(dir, 'gone.env'), path.join(dir, '.env'));
    expect(() => loadProject({ projectDir: dir, env: {} })).toThrow(
      `env file ${path.join(dir, '.env')} is a symbolic link to ${path.join(dir, 'gone.env')}, which does not exist`,
    );
  });

  it('a compose file pointing at a missing file, and a link that loops', async () => {
    const dir = await project({ '.env': GOOD_ENV });
    await symlink('nowhere/compose.yaml', path.join(dir, 'docker-compose.yaml'));
    expect(() => loadProject({ projectDir: dir, env: {} })).toThrow(
      `compose file ${path.join(dir, 'docker-compose.yaml')} is a symbolic link to ${path.join(dir, 'nowhere/compose.yaml')}, which does not exist`,
    );
    const loop = await project({});
    await symlink('.env', path.join(loop, '.env'));
    expect(() => loadProject({ projectDir: loop, env: {} })).toThrow('is a symbolic link that loops');
  });
});
