import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { difyProject } from '../helpers/fixtures.js';

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

const GOOD_ENV = 'DEPLOY_ENV=DEVELOPMENT\nSECRET_KEY=dev-secret\n';
const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('difyctl config --json on the real Dify files', () => {
  for (const pair of ['newest', 'v015'] as const) {
    it(`resolves the ${pair} pair, with secrets as *** and the shell winning`, async () => {
      const p = await difyProject(pair);
      cleanups.push(p.cleanup);
      const result = await runCli(['config', '--json'], {
        cwd: p.dir,
        env: { DB_HOST: 'x', SECRET_KEY: 'a-fresh-secret-key-that-is-long-enough-0123456789' },
      });
      expect(result.exitCode).toBe(0);
      const doc = JSON.parse(result.stdout);
      expect(doc).toMatchObject({ ok: true, command: 'config' });
      expect(doc.data.service).toBe('api');
      expect(doc.data.settings.MODE).toEqual({
        value: 'api',
        source: expect.stringMatching(/^docker-compose\.yaml:\d+$/),
      });
      expect(doc.data.settings.DB_HOST).toEqual({ value: 'x', source: 'shell' });
      expect(doc.data.settings.DIFY_PORT.value).toBe(5001);
      expect(doc.data.settings.SECRET_KEY.value).toBe('***');
      expect(doc.data.settings.DB_PASSWORD.value).toBe('***');
      expect(doc.data.settings.OPENSEARCH_INITIAL_ADMIN_PASSWORD.value).toBe('***');
      expect(doc.data.settings.CELERY_BROKER_URL.value).toBe('redis://:***@redis:6379/1');
      expect(result.stdout).not.toContain('difyai123456');
      expect(result.stdout).not.toContain('a-fresh-secret-key');
    });
  }

  it('shows secrets only with --show-secrets, and keeps Qazwsxedc!@#123 intact', async () => {
    const p = await difyProject('newest');
    cleanups.push(p.cleanup);
    const result = await runCli(['config', '--json', '--show-secrets'], { cwd: p.dir });
    const doc = JSON.parse(result.stdout);
    expect(doc.data.settings.OPENSEARCH_INITIAL_ADMIN_PASSWORD.value).toBe('Qazwsxedc!@#123');
    expect(doc.data.settings.DB_PASSWORD.value).toBe('difyai123456');
  });

  it('reports the sample SECRET_KEY in PRODUCTION as an error with its .env line (exit 2)', async () => {
    const p = await difyProject('newest');
    cleanups.push(p.cleanup);
    const result = await runCli(['config', '--json'], { cwd: p.dir });
    expect(result.exitCode).toBe(2);
    const doc = JSON.parse(result.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.data.errors).toEqual([
      expect.objectContaining({
        code: 'CONFIG.INVALID',
        key: 'SECRET_KEY',
        location: { file: '.env', line: 104, column: 1 },
      }),
    ]);
    expect(doc.data.settings.SECRET_KEY.value).toBe('***');
  });
});

describe('bad input exits 2 with file:line:column, a fix, and no stack trace', () => {
  it('malformed YAML', async () => {
    const dir = await project({
      '.env': GOOD_ENV,
      'docker-compose.yaml': 'services:\n  api:\n    image: x\n   environment: [\n',
    });
    const result = await runCli(['config'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/docker-compose\.yaml:\d+:\d+: .*not valid YAML/);
    expect(result.stderr).toContain('[CONFIG.YAML]');
    expect(result.stderr).toContain('fix:');
    expect(result.stderr).toMatch(/\|\s+\^/);
    noStackTrace(result.stderr);
  });

  it('an unterminated ${ in the compose file', async () => {
    const dir = await project({
      '.env': GOOD_ENV,
      'docker-compose.yaml': 'services:\n  api:\n    environment:\n      MODE: api\n      DB_HOST: ${DB_HOST:-db\n',
    });
    const result = await runCli(['config'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('docker-compose.yaml:5:16: ');
    expect(result.stderr).toContain('[CONFIG.INTERPOLATION]');
    expect(result.stderr).toContain('fix:');
    noStackTrace(result.stderr);
  });

  it('a ${VAR:?msg} with VAR unset', async () => {
    const dir = await project({
      '.env': 'DEPLOY_ENV=DEVELOPMENT\n',
      'docker-compose.yaml':
        'services:\n  api:\n    environment:\n      MODE: api\n      SECRET_KEY: ${SECRET_KEY:?set it in .env}\n',
    });
    const result = await runCli(['config', '--json'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    const doc = JSON.parse(result.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.error).toMatchObject({
      code: 'CONFIG.REQUIRED_VARIABLE',
      location: { file: 'docker-compose.yaml', line: 5, column: 19 },
    });
    expect(doc.error.message).toContain('set it in .env');
    expect(doc.error.hint).toContain('SECRET_KEY');
  });

  it('DIFY_PORT=abc in .env', async () => {
    const dir = await project({ '.env': `${GOOD_ENV}DIFY_PORT=abc\n` });
    const result = await runCli(['config'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain('.env:3:1: DIFY_PORT=abc: expected a whole number');
    expect(result.stdout).toContain('fix: Fix DIFY_PORT in .env:3.');
    noStackTrace(result.stdout + result.stderr);
  });

  it('an unterminated quote in .env', async () => {
    const dir = await project({ '.env': `${GOOD_ENV}LOG_FILE="/var/log/dify.log\n` });
    const result = await runCli(['config'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('.env:3:10: ');
    expect(result.stderr).toContain('[CONFIG.DOTENV]');
  });

  it('a missing file named with -f', async () => {
    const dir = await project({ '.env': GOOD_ENV });
    const result = await runCli(['config', '-f', 'nope.yaml'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('[CONFIG.FILE_NOT_FOUND]');
  });
});

describe('include and extends', () => {
  it('a compose file with only include:, its api extending a base in another file: values name their real file and line', async () => {
    const dir = await project({
      '.env': GOOD_ENV,
      'docker-compose.yaml': 'include:\n  - path: stack/api.yaml\n    env_file: stack/stack.env\n',
      // DEPLOY_ENV and SECRET_KEY come from the including project's .env
      'stack/api.yaml':
        'services:\n  api:\n    extends:\n      file: ../common/base.yaml\n      service: base\n    environment:\n      MODE: api\n      DB_HOST: ${STACK_DB_HOST}\n      DEPLOY_ENV: ${DEPLOY_ENV}\n      SECRET_KEY: ${SECRET_KEY}\n',
      'stack/stack.env': 'STACK_DB_HOST=db-from-stack-env\n',
      'common/base.yaml': 'services:\n  base:\n    environment:\n      DB_PORT: "5433"\n      REDIS_HOST: base-redis\n',
    });
    const json = await runCli(['config', '--json'], { cwd: dir });
    expect(json.exitCode).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.data.service).toBe('api');
    expect(doc.data.settings.MODE).toEqual({ value: 'api', source: 'stack/api.yaml:7' });
    expect(doc.data.settings.DB_HOST).toEqual({ value: 'db-from-stack-env', source: 'stack/stack.env:1' });
    expect(doc.data.settings.DB_PORT).toEqual({ value: 5433, source: 'common/base.yaml:4' });
    expect(doc.data.settings.REDIS_HOST).toEqual({ value: 'base-redis', source: 'common/base.yaml:5' });
    expect(doc.data.settings.DEPLOY_ENV).toEqual({ value: 'DEVELOPMENT', source: '.env:1' });
    const text = await runCli(['config'], { cwd: dir });
    expect(text.stdout).toMatch(/DB_PORT +5433 +common\/base\.yaml:4/);
  });

  it('a missing included file: exit 2 naming the reference file:line:column', async () => {
    const dir = await project({ '.env': GOOD_ENV, 'docker-compose.yaml': 'include:\n  - missing.yaml\n' });
    const result = await runCli(['config'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      `docker-compose.yaml:2:5: included compose file not found: ${path.join(dir, 'missing.yaml')} [CONFIG.FILE_NOT_FOUND]`,
    );
    noStackTrace(result.stderr);
  });
});

describe('large and hostile values', () => {
  it('a 10 MB value keeps the text output small (cut, with the bytes cut named); --json keeps it whole', async () => {
    const size = 10 * 1024 * 1024;
    const dir = await project({ '.env': `${GOOD_ENV}LOG_FILE=${'v'.repeat(size)}\n` });
    const text = await runCli(['config'], { cwd: dir });
    expect(text.exitCode).toBe(0);
    expect(text.stdout.length).toBeLessThan(20_000);
    expect(text.stdout).toContain(`… (${size - 200} bytes cut)`);
    const json = await runCli(['config', '--json'], { cwd: dir });
    expect(JSON.parse(json.stdout).data.settings.LOG_FILE.value).toHaveLength(size);
  });

  it('control characters in values are escaped in text output', async () => {
    const dir = await project({ '.env': `${GOOD_ENV}LOG_FILE="a\u0000b\\nc"\nOTHER="\u001b[2Jx"\n` });
    const text = await runCli(['config', '--all'], { cwd: dir });
    expect(text.stdout).toMatch(/OTHER +\\e\[2Jx/);
    expect(text.stdout).toMatch(/LOG_FILE +a\\x00b\\nc/);
    expect(text.stdout).not.toContain('\u001b');
  });
});

describe('dangling symbolic links', () => {
  it('a .env link to a missing file is named (exit 2), not blamed on SECRET_KEY', async () => {
    const dir = await project({});
    await symlink(path.join(dir, 'secrets/real.env'), path.join(dir, '.env'));
    const result = await runCli(['config'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      `env file ${path.join(dir, '.env')} is a symbolic link to ${path.join(dir, 'secrets/real.env')}, which does not exist [CONFIG.FILE_NOT_FOUND]`,
    );
    expect(result.stdout + result.stderr).not.toContain('SECRET_KEY');
  });

  it('a compose file link to a missing file is named (exit 2)', async () => {
    const dir = await project({ '.env': GOOD_ENV });
    await symlink('../elsewhere/docker-compose.yaml', path.join(dir, 'docker-compose.yaml'));
    const result = await runCli(['config', '--json'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    const doc = JSON.parse(result.stdout);
    expect(doc.error).toMatchObject({
      code: 'CONFIG.FILE_NOT_FOUND',
      details: {
        link: path.join(dir, 'docker-compose.yaml'),
        target: path.resolve(dir, '../elsewhere/docker-compose.yaml'),
      },
    });
  });
});

describe('warnings', () => {
  it('warns about a near-miss of a known key', async () => {
    const dir = await project({ '.env': `${GOOD_ENV}DB_PASWORD=x\n` });
    const result = await runCli(['config', '--json'], { cwd: dir });
    expect(result.exitCode).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.data.warnings).toEqual([
      expect.objectContaining({
        code: 'CONFIG.NEAR_MISS',
        key: 'DB_PASWORD',
        message: expect.stringContaining('DB_PASSWORD'),
      }),
    ]);
  });
});

describe('difyctl init', () => {
  it('writes a valid project into an empty dir, which config then accepts', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const init = await runCli(['init', dir]);
    expect(init.exitCode).toBe(0);
    const env = await readFile(path.join(dir, '.env'), 'utf8');
    const secret = /^SECRET_KEY=(.+)$/m.exec(env)?.[1] ?? '';
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(env).not.toContain('{{');
    const config = await runCli(['config', '--json'], { cwd: dir });
    expect(config.exitCode).toBe(0);
    const doc = JSON.parse(config.stdout);
    expect(doc.data.errors).toEqual([]);
    expect(doc.data.warnings).toEqual([]);
    expect(doc.data.service).toBe('api');
    expect(doc.data.settings.DB_HOST.value).toBe('db');
    const worker = JSON.parse((await runCli(['config', '--json', '--mode', 'worker'], { cwd: dir })).stdout);
    expect(worker.data.service).toBe('worker');
  });

  it('gives two projects different secrets', async () => {
    const a = await tempDir();
    const b = await tempDir();
    cleanups.push(a.cleanup, b.cleanup);
    await runCli(['init', a.dir]);
    await runCli(['init', b.dir]);
    const secret = async (d: string) => /^SECRET_KEY=(.+)$/m.exec(await readFile(path.join(d, '.env'), 'utf8'))?.[1];
    expect(await secret(a.dir)).not.toBe(await secret(b.dir));
  });

  it('never overwrites without --force', async () => {
    const dir = await project({ '.env': 'MINE=1\n' });
    const refused = await runCli(['init'], { cwd: dir });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('[INIT.EXISTS]');
    expect(await readFile(path.join(dir, '.env'), 'utf8')).toBe('MINE=1\n');
    const forced = await runCli(['init', '--force'], { cwd: dir });
    expect(forced.exitCode).toBe(0);
    expect(await readFile(path.join(dir, '.env'), 'utf8')).toContain('SECRET_KEY=');
  });
});

describe('the CLI skeleton', () => {
  it('prints the version and exits 0', async () => {
    const result = await runCli(['--version']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 on an unknown option', async () => {
    const result = await runCli(['config', '--bogus']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--bogus');
  });
});
