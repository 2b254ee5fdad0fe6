import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator } from '../../src/db/migrator.js';
import { postgresStrategy } from '../../src/stack/ready/postgres.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

/**
 * Issue 14: the same fault gets the same code whatever path finds it. A wrong DB_PASSWORD is
 * DB.AUTH_FAILED for the launcher's login check (`up`), `migrate`, `doctor` and a served api or
 * worker process (which before this started and failed each request, or reported SERVER.START_FAILED).
 */
let pg: TestPostgres;
const cleanups: Array<() => Promise<void>> = [];
const WRONG = 'not-the-password-3f9a';

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await Promise.all(cleanups.map((c) => c()));
  await pg?.stop();
});

const wrongEnv = () => ({
  ...pg.env(),
  DB_PASSWORD: WRONG,
  SECRET_KEY: 'a-fresh-secret-key-that-is-long-enough-0123456789',
  DIFYCTL_REDIS: 'none',
});

describe('a wrong DB_PASSWORD is DB.AUTH_FAILED on every path', () => {
  it('the launcher’s login check (up)', async () => {
    const probe = await postgresStrategy({ ...pg, password: WRONG }).check({ timeoutMs: 3000 });
    expect(probe.ok).toBe(false);
    expect(probe.ok ? undefined : (probe.fatal as { code?: string } | undefined)?.code).toBe('DB.AUTH_FAILED');
  });

  it('migrate', async () => {
    const error = await createMigrator({ connection: { ...pg, password: WRONG } })
      .status()
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('DB.AUTH_FAILED');
  });

  it('doctor (db.connect carries the code in --json)', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const env = { ...wrongEnv(), DIFY_PORT: String(await getPort()) };
    await writeFile(
      path.join(dir, '.env'),
      `${Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n')}\n`,
    );
    const result = await runCli(['doctor', '--json', '--only', 'db.connect'], { cwd: dir });
    const checks = JSON.parse(result.stdout).data.checks as Array<{ id: string; status: string; code?: string }>;
    expect(checks.find((c) => c.id === 'db.connect')).toMatchObject({ status: 'fail', code: 'DB.AUTH_FAILED' });
    expect(result.stdout).not.toContain(WRONG);
  });

  it.each(['api', 'worker'])('serve --mode %s stops at start with DB.AUTH_FAILED', async (mode) => {
    const port = await getPort({ host: '127.0.0.1' });
    const result = await runCli(['serve', '--mode', mode], {
      env: { ...wrongEnv(), DIFY_BIND_ADDRESS: '127.0.0.1', DIFY_PORT: String(port), NO_COLOR: '1' },
      timeoutMs: 30_000,
    });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.exitCode).toBe(1);
    expect(output).toContain('DB.AUTH_FAILED');
    expect(output).toContain('DB_PASSWORD');
    expect(output).not.toContain(WRONG);
  });
});
