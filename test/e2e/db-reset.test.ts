import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { health, initProject, NO_DOCKER } from '../helpers/project.js';
import { startPostgres } from '../helpers/postgres.js';
import { loadMigrations } from '../../src/db/registry.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const setupStep = async (port: number) =>
  ((await (await fetch(`http://127.0.0.1:${port}/console/api/setup`)).json()) as { step?: string }).step;

describe('difyctl db reset', () => {
  it('on a stack with data: refused without --yes and a TTY; with --yes empty, migrated, seeded, api healthy again', async () => {
    const { dir, port, cleanup } = await initProject();
    cleanups.push(cleanup);
    expect((await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 })).exitCode).toBe(0);
    const setup = await fetch(`http://127.0.0.1:${port}/console/api/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@example.com', name: 'Admin', password: 'correct-horse-battery-1' }),
    });
    expect(setup.status).toBeLessThan(300);
    expect(await setupStep(port)).toBe('finished');

    const refused = await runCli(['db', 'reset'], { cwd: dir, env: NO_DOCKER });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('[CLI.NO_TTY]');
    expect(refused.stderr).toContain('--yes');
    expect(await setupStep(port)).toBe('finished');

    const reset = await runCli(['db', 'reset', '--yes', '--json'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 });
    expect(reset.exitCode, reset.stderr).toBe(0);
    const doc = JSON.parse(reset.stdout);
    expect(doc.data).toMatchObject({
      reset: true,
      restarted: ['api', 'worker'],
      removed: ['.difyctl/embedded/postgres'],
    });
    expect(doc.data.migrated.length).toBe((await loadMigrations()).length);
    expect(await health(port)).toBe(200);
    expect(await setupStep(port)).toBe('not_started');
    const migrations = await runCli(['migrate', 'status', '--json'], { cwd: dir, env: NO_DOCKER });
    expect(JSON.parse(migrations.stdout).data).toMatchObject({ pending: [], drift: [] });
  });

  it("refuses a database server that is not this project's, even with nothing recorded: its data and the project's stay", async () => {
    const server = await startPostgres();
    const { dir, cleanup } = await tempDir('difyctl-reset-external-');
    cleanups.push(async () => {
      await cleanup();
      await server.stop();
    });
    const db = await server.createDatabase();
    await server.exec('CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$mine$$)', db.database);
    // Data an earlier embedded stack left in the project: not what DB_HOST now points at, not to be deleted.
    await mkdir(path.join(dir, '.difyctl/embedded/postgres'), { recursive: true });
    await writeFile(path.join(dir, '.difyctl/embedded/postgres/PG_VERSION'), '15\n');
    const env = { ...NO_DOCKER, ...server.env(db.database), SECRET_KEY: 'reset-external-secret-key-0123456789abcdef' };
    const reset = await runCli(['db', 'reset', '--yes', '--json'], { cwd: dir, env });
    expect(reset.exitCode).toBe(1);
    expect(JSON.parse(reset.stdout).error.code).toBe('DB.RESET_EXTERNAL');
    expect((await server.exec('SELECT v FROM kept', db.database)).rows).toEqual([{ v: 'mine' }]);
    expect(existsSync(path.join(dir, '.difyctl/embedded/postgres/PG_VERSION'))).toBe(true);
  });
});
