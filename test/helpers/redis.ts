/**
 * A throwaway Redis for tests, from Debian's `redis-server` (apt package `redis-server`).
 *
 *   const redis = await startRedis({ password: 'pw' });   // a free 127.0.0.1 port, data in a temp dir
 *   redis.env()   // REDIS_HOST, REDIS_PORT, REDIS_PASSWORD for difyctl
 *   await redis.stop();
 *
 * The password goes in a 0600 config file (not argv). Ready means it answered PING.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';

export interface TestRedis {
  host: string;
  port: number;
  password: string;
  env(): Record<string, string>;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** One RESP exchange: AUTH (when a password is set) then PING; true on +PONG. */
function pings(port: number, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('+PONG')) done(true);
      else if (data.includes('-')) done(false);
    });
    socket.on('connect', () => socket.write(`${password ? `AUTH ${password}\r\n` : ''}PING\r\n`));
  });
}

/** `alsoBind`: addresses to listen on besides 127.0.0.1 (e.g. a test network's gateway, test/helpers/netns.ts). */
export async function startRedis(
  options: { password?: string; binary?: string; alsoBind?: string[] } = {},
): Promise<TestRedis> {
  const password = options.password ?? `pw${Math.random().toString(36).slice(2)}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'difyctl-redis-'));
  const port = await getPort({ host: '127.0.0.1' });
  const config = path.join(dir, 'redis.conf');
  await writeFile(
    config,
    [
      `port ${port}`,
      `bind ${['127.0.0.1', ...(options.alsoBind ?? [])].join(' ')}`,
      `dir ${dir}`,
      'save ""',
      'appendonly no',
      password ? `requirepass "${password}"` : '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const child = spawn(options.binary ?? 'redis-server', [config], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = async () => {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await pings(port, password))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer on 127.0.0.1:${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    host: '127.0.0.1',
    port,
    password,
    process: child,
    env: () => ({
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(port),
      REDIS_PASSWORD: password,
      CELERY_BROKER_URL: `redis://:${password}@127.0.0.1:${port}/1`,
    }),
    stop,
  };
}
