/**
 * `difyctl up` on a project whose Redis is behind sentinels (Dify's REDIS_USE_SENTINEL settings in
 * .env, REDIS_HOST and CELERY_BROKER_URL left at `init`'s values): the embedded PostgreSQL, Redis
 * attached through the sentinels, the api on top. `ps` reads the ready marker through them.
 */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { initProject } from '../helpers/project.js';
import { startSentinelSet, type SentinelSet } from '../helpers/redis-topologies.js';

const env = { DOCKER_HOST: 'unix:///nonexistent/difyctl-test/docker.sock' };
let sentinels: SentinelSet;
let project: Awaited<ReturnType<typeof initProject>> | undefined;

beforeAll(async () => {
  sentinels = await startSentinelSet();
  project = await initProject(env);
}, 60_000);
afterAll(async () => {
  await project?.cleanup();
  await sentinels?.stop();
}, 120_000);

describe('up with Redis behind sentinels', () => {
  it("starts the api on the sentinels' master, and ps reads its ready marker through them", async () => {
    const {
      CELERY_BROKER_URL: _sample,
      CELERY_USE_SENTINEL: _u,
      CELERY_SENTINEL_MASTER_NAME: _m,
      CELERY_SENTINEL_PASSWORD: _p,
      ...cache
    } = sentinels.env();
    await appendFile(
      path.join(project!.dir, '.env'),
      Object.entries(cache)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    const up = await runCli(['up', '-d', '--mode', 'api', '--json'], { cwd: project!.dir, env, timeoutMs: 120_000 });
    expect(up.exitCode, up.stderr + up.stdout).toBe(0);
    const ps = JSON.parse((await runCli(['ps', '--json'], { cwd: project!.dir, env })).stdout) as {
      data: { services: Array<Record<string, unknown>> };
    };
    const rows = Object.fromEntries(ps.data.services.map((s) => [s.service as string, s]));
    expect(rows.redis).toMatchObject({ provider: 'external', address: `127.0.0.1:${sentinels.sentinelPorts[0]}` });
    expect(rows.api).toMatchObject({ ready: 'ready' });
    const health = (await (await fetch(`http://127.0.0.1:${project!.port}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'healthy', redis: 'ok' });
  }, 120_000);
});
