import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { healthcheckStrategy, type ContainerState } from '../../src/stack/ready/healthcheck.js';
import { httpStrategy } from '../../src/stack/ready/http.js';
import { tcpStrategy } from '../../src/stack/ready/tcp.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('tcp strategy', () => {
  it('is ready when the port accepts, waits on refused, and fails fast on an unknown host', async () => {
    const port = await listen(net.createServer((socket) => socket.end()));
    expect(await tcpStrategy({ host: '127.0.0.1', port }).check({ timeoutMs: 1000 })).toEqual({ ok: true });
    const refused = await tcpStrategy({ host: '127.0.0.1', port: await closedPort() }).check({ timeoutMs: 1000 });
    expect(refused).toMatchObject({ ok: false, reason: expect.stringContaining('connection refused') });
    expect('fatal' in refused && refused.fatal).toBeFalsy();
    const unknown = await tcpStrategy({
      host: 'no-such-host.difyctl-test.invalid',
      port: 1,
      hostVar: 'REDIS_HOST',
    }).check({ timeoutMs: 1000 });
    expect(unknown.ok === false && unknown.fatal?.code).toBe('NET.HOST_NOT_FOUND');
    expect(unknown.ok === false && unknown.fatal?.hint).toContain('REDIS_HOST');
  });
});

describe('http strategy', () => {
  it('is ready on the expected status only', async () => {
    let status = 503;
    const port = await listen(http.createServer((_req, res) => res.writeHead(status).end()));
    const strategy = httpStrategy({ url: `http://127.0.0.1:${port}/health` });
    expect(await strategy.check({ timeoutMs: 1000 })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('503'),
    });
    status = 200;
    expect(await strategy.check({ timeoutMs: 1000 })).toEqual({ ok: true });
  });
});

describe('compose healthcheck strategy', () => {
  const container = (state: ContainerState, restart = 'always') => ({
    inspect: async () => ({ State: state, HostConfig: { RestartPolicy: { Name: restart } } }),
  });

  it('waits for healthy, treats no healthcheck as ready once running, and fails when the container exited for good', async () => {
    const starting = await healthcheckStrategy({
      container: container({ Running: true, Health: { Status: 'starting' } }),
      name: 'p-db-1',
    }).check({ timeoutMs: 1 });
    expect(starting).toEqual({ ok: false, reason: 'healthcheck starting' });
    const unhealthy = await healthcheckStrategy({
      container: container({ Running: true, Health: { Status: 'unhealthy', Log: [{ Output: 'no response\n' }] } }),
      name: 'p-db-1',
    }).check({ timeoutMs: 1 });
    expect(unhealthy).toEqual({ ok: false, reason: 'healthcheck unhealthy: no response' });
    expect(
      await healthcheckStrategy({
        container: container({ Running: true, Health: { Status: 'healthy' } }),
        name: 'x',
      }).check({ timeoutMs: 1 }),
    ).toEqual({ ok: true });
    expect(
      await healthcheckStrategy({ container: container({ Running: true }), name: 'x' }).check({ timeoutMs: 1 }),
    ).toEqual({ ok: true });
    const restarting = await healthcheckStrategy({
      container: container({ Running: false, Status: 'exited', ExitCode: 1 }),
      name: 'x',
    }).check({ timeoutMs: 1 });
    expect(restarting.ok === false && restarting.fatal).toBeFalsy();
    const dead = await healthcheckStrategy({
      container: container({ Running: false, Status: 'exited', ExitCode: 1 }, 'no'),
      name: 'x',
    }).check({ timeoutMs: 1 });
    expect(dead.ok === false && dead.fatal?.code).toBe('DOCKER.CONTAINER_FAILED');
  });
});
