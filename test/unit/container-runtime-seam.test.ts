import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, requireValid, type ResolvedConfig } from '../../src/config/resolve.js';
import { dbContainerCheck } from '../../src/doctor/checks/db-container.js';
import { dockerCheck } from '../../src/doctor/checks/docker.js';
import { runDoctor } from '../../src/doctor/runner.js';
import { initProject } from '../../src/scaffold/init.js';
import type { StackContext } from '../../src/stack/context.js';
import { addressSettings, dependencySpec } from '../../src/stack/dependencies.js';
import { chooseProvider } from '../../src/stack/providers/choose.js';
import { LABEL } from '../../src/stack/providers/docker/labels.js';
import { createStack } from '../../src/stack/stack.js';
import { updateState, type DependencyRecord } from '../../src/stack/state.js';
import { systemClock } from '../../src/supervision/clock.js';
import { tempDir } from '../helpers/cli.js';
import { FakeRuntime, fakeConnector, type FakeContainer } from '../helpers/fake-runtime.js';

/** No engine from the shell: only the fake answers (and nothing of the host's Docker is touched). */
const env = { PATH: '/nonexistent-bin', DOCKER_HOST: 'unix:///fake/docker.sock' };

let dir: string;
let cleanup: () => Promise<void>;
let config: ResolvedConfig;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('difyctl-seam-'));
  await initProject({ dir });
  config = loadConfig({ projectDir: dir, env, projectName: 'seam', mode: 'api' });
});
afterEach(() => cleanup());

const dbContainer = (over: Partial<FakeContainer> = {}): FakeContainer => ({
  id: 'c0ffee',
  name: 'seam-db-1',
  running: true,
  health: 'healthy',
  ports: { 5432: 54321 },
  labels: { [LABEL.project]: 'seam', [LABEL.dependency]: 'db', [LABEL.projectDir]: dir },
  ...over,
});

async function recordDb(
  record: Partial<DependencyRecord> = {},
  engine = { host: 'unix:///fake/docker.sock', source: 'DOCKER_HOST', id: 'FAKE-ENGINE-ID' },
) {
  await updateState({
    projectDir: dir,
    project: 'seam',
    change: (state) => {
      state.services.db = {
        provider: 'docker',
        containerId: 'c0ffee',
        containerName: 'seam-db-1',
        host: '127.0.0.1',
        port: 54321,
        since: new Date().toISOString(),
        ...record,
      };
      state.engine = engine;
    },
  });
}

function context(runtime: FakeRuntime | undefined): StackContext {
  const connect = fakeConnector(runtime);
  return {
    project: config.project,
    settings: requireValid(config),
    report: () => undefined,
    clock: systemClock,
    env,
    engine: async () => runtime,
    projectEngine: () => connect({ env, state: {} }),
  };
}

const dbSpec = () => dependencySpec({ name: 'db', settings: addressSettings(config), compose: config.project.compose });

describe('chooseProvider against a fake container runtime', () => {
  it('keeps the container a previous run started when the engine still has it', async () => {
    const runtime = new FakeRuntime({ containers: [dbContainer()] });
    const record: DependencyRecord = {
      provider: 'docker',
      containerId: 'c0ffee',
      containerName: 'seam-db-1',
      since: '',
    };
    expect(await chooseProvider({ ctx: context(runtime), spec: dbSpec(), forced: 'auto', record })).toEqual({
      provider: 'docker',
      reason: 'container seam-db-1 from a previous run',
    });
    expect(runtime.calls).toEqual(['inspect c0ffee']);
  });

  it('refuses (DOCKER.UNREACHABLE) rather than start a second server when the recorded engine does not answer', async () => {
    const record: DependencyRecord = {
      provider: 'docker',
      containerId: 'c0ffee',
      containerName: 'seam-db-1',
      since: '',
    };
    await expect(
      chooseProvider({ ctx: context(undefined), spec: dbSpec(), forced: 'auto', record }),
    ).rejects.toMatchObject({ code: 'DOCKER.UNREACHABLE' });
  });

  it('picks docker for a compose service when an engine answers, embedded when none does', async () => {
    expect(await chooseProvider({ ctx: context(new FakeRuntime()), spec: dbSpec(), forced: 'auto' })).toMatchObject({
      provider: 'docker',
    });
    expect(await chooseProvider({ ctx: context(undefined), spec: dbSpec(), forced: 'auto' })).toEqual({
      provider: 'embedded',
      reason: 'no Docker engine answers',
    });
  });
});

describe('the stack handle with a fake runtime', () => {
  it('ps shows the labelled container with its published port and health', async () => {
    await recordDb();
    const runtime = new FakeRuntime({ containers: [dbContainer()] });
    const rows = await createStack({ config, env, connect: fakeConnector(runtime) }).ps();
    expect(rows[0]).toMatchObject({
      service: 'db',
      provider: 'docker',
      state: 'running',
      health: 'healthy',
      address: '127.0.0.1:54321',
      container: 'seam-db-1',
    });
  });

  it('up (the dependency step) refuses before starting anything when the recorded engine is gone', async () => {
    await recordDb();
    const events: string[] = [];
    const stack = createStack({ config, env, connect: fakeConnector(undefined), report: (e) => events.push(e.type) });
    await expect(stack.up(['db'])).rejects.toMatchObject({ code: 'DOCKER.UNREACHABLE' });
    expect(events).not.toContain('starting');
  });
});

describe("doctor's docker checks against a fake runtime", () => {
  const doctor = (runtime: FakeRuntime | undefined) =>
    runDoctor({ checks: [dockerCheck, dbContainerCheck], config: { ...config }, env, connect: async () => runtime });

  it('reports the engine version and a healthy db container', async () => {
    await recordDb();
    const report = await doctor(new FakeRuntime({ containers: [dbContainer()] }));
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['docker', 'ok'],
      ['db.container', 'ok'],
    ]);
    expect(report.checks[0]?.finding).toContain('Docker 24.0.0-fake');
    expect(report.checks[1]?.finding).toBe('seam-db-1 runs, healthy');
  });

  it('fails db.container with the last log line of an exited container', async () => {
    await recordDb();
    const report = await doctor(
      new FakeRuntime({
        containers: [
          dbContainer({ running: false, health: undefined, logs: ['FATAL: data directory has wrong ownership'] }),
        ],
      }),
    );
    const db = report.checks.find((c) => c.id === 'db.container');
    expect(db).toMatchObject({ status: 'fail' });
    expect(db?.finding).toContain('last log line: FATAL: data directory has wrong ownership');
  });

  it('fails docker when the containers of this stack need an engine that does not answer', async () => {
    await recordDb();
    const report = await doctor(undefined);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['docker', 'fail'],
      ['db.container', 'skip'],
    ]);
  });
});
