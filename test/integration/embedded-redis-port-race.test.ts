/**
 * Two projects whose embedded redis-server start at the same moment with the same REDIS_PORT: both
 * find it free, one binds it first. The other's redis-server exits at once ("Address already in
 * use"); the start tries another free port, so both serve (two e2e files raced for 6379 in CI).
 */
import net from 'node:net';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedRedis } from '../../src/stack/providers/embedded/redis.js';
import { stopProcess } from '../../src/supervision/process.js';
import { tempDir } from '../helpers/cli.js';

/** PING over a raw socket: the server's answer to it, or the error. */
const ping = (port: number): Promise<string> =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      resolve(data.toString().trim());
      socket.destroy();
    });
    socket.once('error', (error) => resolve(error.message));
  });

const started: number[] = [];
const dirs: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const pid of started.splice(0)) await stopProcess({ pid, signal: 'SIGTERM' });
  for (const cleanup of dirs.splice(0)) await cleanup();
});

describe('embedded redis-server started twice at once on one preferred port', () => {
  it('both serve, on two ports, five times in a row', async () => {
    for (let round = 0; round < 5; round++) {
      const preferredPort = await getPort();
      const projects = await Promise.all([tempDir('difyctl-redis-race-'), tempDir('difyctl-redis-race-')]);
      dirs.push(...projects.map((p) => p.cleanup));
      const servers = await Promise.all(
        projects.map((p) => startEmbeddedRedis({ projectDir: p.dir, preferredPort, report: () => {} })),
      );
      for (const s of servers) if (s) started.push(s.pid);
      const ports = servers.map((s) => s?.port);
      expect(new Set(ports).size, `round ${round}: ports ${ports.join(', ')}`).toBe(2);
      expect(await Promise.all(ports.map((p) => ping(p!))), `round ${round}`).toEqual(['+PONG', '+PONG']);
    }
  });
});
