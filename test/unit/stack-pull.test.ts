import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { DifyctlError } from '../../src/errors/index.js';
import { pullImage } from '../../src/stack/providers/docker/image.js';
import type { StackEvent } from '../../src/stack/types.js';

/** A real dockerode client (its real progress parser) whose `pull` answers with a canned engine stream. */
function engineAnswering(lines: object[]): Docker {
  const docker = new Docker({ socketPath: '/nonexistent/docker.sock' });
  docker.pull = (async () => Readable.from(lines.map((l) => `${JSON.stringify(l)}\r\n`))) as unknown as Docker['pull']; // only the stream matters here
  return docker;
}

describe('pullImage', () => {
  it('reports per-layer progress events', async () => {
    const events: StackEvent[] = [];
    const docker = engineAnswering([
      { status: 'Pulling from library/redis', id: '6-alpine' },
      { status: 'Downloading', id: 'a1b2', progressDetail: { current: 100, total: 400 } },
      { status: 'Download complete', id: 'a1b2' },
      { status: 'Pull complete', id: 'a1b2' },
    ]);
    await pullImage({ docker, image: 'redis:6-alpine', report: (e) => events.push(e) });
    expect(events).toContainEqual({
      type: 'pull-progress',
      image: 'redis:6-alpine',
      layer: 'a1b2',
      status: 'Downloading',
      current: 100,
      total: 400,
    });
    expect(
      events
        .filter((e) => e.type === 'pull-progress' && e.layer === 'a1b2')
        .map((e) => (e.type === 'pull-progress' ? e.status : '')),
    ).toEqual(['Downloading', 'Download complete', 'Pull complete']);
  });

  it('turns an error in the stream into DOCKER.PULL_FAILED naming the image', async () => {
    const docker = engineAnswering([
      { status: 'Pulling fs layer', id: 'a1b2' },
      { error: 'manifest unknown', errorDetail: { message: 'manifest unknown' } },
    ]);
    const error = (await pullImage({ docker, image: 'postgres:99', report: () => undefined }).catch(
      (e: unknown) => e,
    )) as DifyctlError;
    expect(error).toBeInstanceOf(DifyctlError);
    expect(error.code).toBe('DOCKER.PULL_FAILED');
    expect(error.message).toContain('postgres:99');
    expect(error.message).toContain('manifest unknown');
  });
});
