import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { splitDockerLog } from '../../src/logs/docker-source.js';
import { projectEndpoint, type Engine } from '../../src/stack/providers/docker/engine.js';
import { isRecordedEngine } from '../../src/stack/providers/docker/project-engine.js';
import { allAtOnce } from '../../src/stack/ready/composite.js';
import { containerRunningStrategy, type ContainerState } from '../../src/stack/ready/healthcheck.js';
import type { Probe } from '../../src/stack/ready/strategy.js';
import { DifyctlError } from '../../src/errors/index.js';

const recorded = { host: 'unix:///srv/docker.sock', source: 'DOCKER_HOST', id: 'ENGINE-A' };
const home = await mkdtemp(path.join(os.tmpdir(), 'difyctl-unit-home-'));
afterAll(() => rm(home, { recursive: true, force: true }));

describe('the engine of a project (issue 13, bug 1)', () => {
  it('the shell wins, else the engine `up` recorded, else the docker CLI default', () => {
    expect(projectEndpoint({ env: { DOCKER_HOST: 'unix:///tmp/other.sock' }, recorded, home })).toEqual({
      host: 'unix:///tmp/other.sock',
      source: 'DOCKER_HOST',
    });
    // DOCKER_CONTEXT=default is the shell saying "the default socket".
    expect(projectEndpoint({ env: { DOCKER_CONTEXT: 'default' }, recorded, home }).host).toBe(
      'unix:///var/run/docker.sock',
    );
    expect(projectEndpoint({ env: {}, recorded, home })).toEqual({
      host: recorded.host,
      source: 'recorded by `up` in .difyctl/state.json, from DOCKER_HOST',
    });
    expect(projectEndpoint({ env: { DOCKER_HOST: '' }, recorded, home }).host).toBe(recorded.host);
    expect(projectEndpoint({ env: {}, home })).toEqual({
      host: 'unix:///var/run/docker.sock',
      source: 'the default socket',
    });
  });

  it('an engine reached by another path is the recorded one only with the same engine ID', async () => {
    // Pure logic: only endpoint and id() are read.
    const engine = (host: string, id: string | undefined) =>
      ({ endpoint: { host, source: 'DOCKER_HOST' }, id: async () => id }) as unknown as Engine;
    expect(await isRecordedEngine(engine('unix:///srv/docker.sock', undefined), recorded)).toBe(true);
    expect(await isRecordedEngine(engine('tcp://127.0.0.1:2375', 'ENGINE-A'), recorded)).toBe(true);
    expect(await isRecordedEngine(engine('tcp://127.0.0.1:2375', 'ENGINE-B'), recorded)).toBe(false);
    expect(await isRecordedEngine(engine('tcp://127.0.0.1:2375', 'ENGINE-A'), { ...recorded, id: undefined })).toBe(
      false,
    );
    expect(await isRecordedEngine(engine('tcp://127.0.0.1:2375', 'ENGINE-B'), undefined)).toBe(true);
  });
});

describe('a Docker log answer read without follow (issue 13, bug 5)', () => {
  const frame = (stream: 1 | 2, text: string) => {
    const body = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(body.length, 4);
    return Buffer.concat([header, body]);
  };

  it('splits multiplexed frames into lines per stream, joining a line split over frames', () => {
    const buffer = Buffer.concat([
      frame(1, '2026-11-30T10:00:00.000Z ready\n'),
      frame(2, '2026-11-30T10:00:01.000Z warn'),
      frame(2, 'ing: x\r\n'),
      frame(1, 'no newline at the end'),
    ]);
    expect(splitDockerLog(buffer, false)).toEqual([
      { stream: 'stdout', text: '2026-11-30T10:00:00.000Z ready' },
      { stream: 'stderr', text: '2026-11-30T10:00:01.000Z warning: x' },
      { stream: 'stdout', text: 'no newline at the end' },
    ]);
  });

  it("takes a TTY container's answer as plain text, and an empty answer as no lines", () => {
    expect(splitDockerLog(Buffer.from('a\nb\n'), true)).toEqual([
      { stream: 'stdout', text: 'a' },
      { stream: 'stdout', text: 'b' },
    ]);
    expect(splitDockerLog(Buffer.alloc(0), false)).toEqual([]);
  });
});

describe('the container guard beside the login (SPEC §3: the protocol check is the gate)', () => {
  const guard = (state: ContainerState, restart = 'no') =>
    containerRunningStrategy({
      container: { inspect: async () => ({ State: state, HostConfig: { RestartPolicy: { Name: restart } } }) },
      name: 'p-db-1',
      logTail: async () => ['FATAL: bad config'],
    }).check({ timeoutMs: 1 });

  it('passes while the container runs, its healthcheck still starting', async () => {
    expect(await guard({ Running: true, Health: { Status: 'starting' } })).toEqual({ ok: true });
    expect(await guard({ Running: true })).toEqual({ ok: true });
  });

  it('asks the engine at most every 250 ms, whatever the poll interval', async () => {
    let inspects = 0;
    let clock = 0;
    const strategy = containerRunningStrategy({
      container: {
        inspect: async () => {
          inspects++;
          return { State: { Running: true } };
        },
      },
      name: 'p-db-1',
      now: () => clock,
    });
    for (; clock < 1000; clock += 50) expect(await strategy.check({ timeoutMs: 1 })).toEqual({ ok: true });
    expect(inspects).toBe(4);
  });

  it('fails at once, with the log tail, when the container reports unhealthy or exited for good', async () => {
    const unhealthy = await guard({
      Running: true,
      Health: { Status: 'unhealthy', Log: [{ Output: 'no response\n' }] },
    });
    expect(unhealthy.ok).toBe(false);
    const fatal = !unhealthy.ok ? unhealthy.fatal : undefined;
    expect(fatal?.code).toBe('DOCKER.CONTAINER_FAILED');
    expect(fatal?.message).toBe('container p-db-1 reports unhealthy: no response');
    expect(fatal?.why).toContain('FATAL: bad config');
    const exited = await guard({ Running: false, Status: 'exited', ExitCode: 1 });
    expect(!exited.ok && exited.fatal?.message).toBe('container p-db-1 is exited (exit code 1)');
    // A restart policy brings it back: worth waiting on.
    expect(await guard({ Running: false, Status: 'restarting', ExitCode: 1 }, 'always')).toEqual({
      ok: false,
      reason: 'container p-db-1 is restarting (exit code 1)',
    });
  });
});

describe("checks run at once (a container's state beside its login)", () => {
  const fixed = (probe: Probe) => ({ name: 'fixed', check: async () => probe });
  it('is ready when all are; a fatal probe wins over one not ready; else the first not ready', async () => {
    const fatal = new DifyctlError('DOCKER.CONTAINER_FAILED', 'exited');
    expect(await allAtOnce([fixed({ ok: true }), fixed({ ok: true })]).check({ timeoutMs: 1 })).toEqual({ ok: true });
    expect(
      await allAtOnce([fixed({ ok: false, reason: 'refused' }), fixed({ ok: false, reason: 'exited', fatal })]).check({
        timeoutMs: 1,
      }),
    ).toEqual({ ok: false, reason: 'exited', fatal });
    expect(
      await allAtOnce([
        fixed({ ok: true }),
        fixed({ ok: false, reason: 'b' }),
        fixed({ ok: false, reason: 'c' }),
      ]).check({ timeoutMs: 1 }),
    ).toEqual({ ok: false, reason: 'b' });
  });
});
