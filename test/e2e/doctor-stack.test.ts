import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { describeDocker } from '../helpers/docker.js';
import { health, initProject, NO_DOCKER } from '../helpers/project.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Report {
  checks: Array<{ id: string; status: string; finding: string; fix?: string }>;
  summary: { fail: number; duration_ms: number };
}

async function doctor(
  dir: string,
  env: Record<string, string | undefined> = NO_DOCKER,
): Promise<{ exitCode: number; report: Report; byId: Record<string, Report['checks'][number]> }> {
  const result = await runCli(['doctor', '--json', '--verbose'], { cwd: dir, env });
  const report = JSON.parse(result.stdout).data as Report;
  return { exitCode: result.exitCode, report, byId: Object.fromEntries(report.checks.map((c) => [c.id, c])) };
}

describe('difyctl doctor on a running stack', () => {
  it('all ok on a healthy stack; with the db stopped, db.container and db.connect fail with their fixes', async () => {
    const { dir, cleanup } = await initProject();
    cleanups.push(cleanup);
    expect((await runCli(['up', '-d'], { cwd: dir, env: NO_DOCKER, timeoutMs: 180_000 })).exitCode).toBe(0);

    const healthy = await doctor(dir);
    console.log(
      `doctor on a healthy stack: ${healthy.report.summary.duration_ms} ms for ${healthy.report.checks.length} checks`,
    );
    expect(healthy.report.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(healthy.exitCode).toBe(0);

    // The embedded db runs under a supervisor (restart: always): a signal to the server alone is
    // followed by a restart, so the stack is stopped the way a user does.
    expect((await runCli(['stop'], { cwd: dir, env: NO_DOCKER })).exitCode).toBe(0);

    const down = await doctor(dir);
    console.log(`doctor with the db stopped: ${down.report.summary.duration_ms} ms`);
    expect(down.exitCode).toBe(1);
    expect(down.byId['db.container']).toMatchObject({
      status: 'fail',
      finding: expect.stringContaining('not running'),
      fix: expect.stringContaining('difyctl up'),
    });
    expect(down.byId['db.connect']).toMatchObject({ status: 'fail', fix: expect.stringContaining('DB_PORT') });
    expect(down.byId['db.migrations']?.status).toBe('skip');
    expect(down.byId.config?.status).toBe('ok');
    expect(down.byId['api.health']?.status).toBe('fail');
  });
});

describeDocker('difyctl doctor on a running docker stack (issue 13, bug 8)', () => {
  it("all ok: the published ports are held by the stack's own containers, memory comes from one-shot stats", async () => {
    const env = { COMPOSE_PROJECT_NAME: `difyctl-doctor-${process.pid}` };
    const { dir, port, cleanup } = await initProject(env);
    cleanups.push(cleanup);
    // Published on fixed ports, as Dify's EXPOSE_* do: docker-proxy holds them.
    await appendFile(
      path.join(dir, '.env'),
      `EXPOSE_DB_PORT=${await getPort()}\nEXPOSE_REDIS_PORT=${await getPort()}\n`,
    );
    const up = await runCli(['up', '-d', '--provider', 'docker'], { cwd: dir, env, timeoutMs: 240_000 });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await health(port)).toBe(200);

    const healthy = await doctor(dir, env);
    console.log(
      `doctor on a healthy docker stack: ${healthy.report.summary.duration_ms} ms for ${healthy.report.checks.length} checks`,
    );
    expect(healthy.report.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(healthy.exitCode).toBe(0);
    expect(healthy.byId.ports?.finding).toMatch(/free or held by this stack/);
    expect(healthy.byId['api.memory']?.finding).toMatch(/\bdb \d+ MB\b/);
    expect(healthy.byId['api.memory']?.finding).toMatch(/\bredis \d+ MB\b/);
    // The engine `up` used, when the shell no longer names it.
    const unset = await doctor(dir, { ...env, DOCKER_HOST: undefined });
    expect(unset.report.checks.filter((c) => c.status !== 'ok')).toEqual([]);
  });
});
