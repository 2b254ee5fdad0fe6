import net from 'node:net';
import { type DifyctlError, netHostNotFound } from '../../errors/index.js';
import { notReady, type Probe, type ReadinessStrategy } from './strategy.js';

export interface TcpTarget {
  host: string;
  port: number;
  /** Variables to fix, for the unknown-host message. @default 'the host' */
  hostVar?: string;
}

/** Resolves true when a TCP connection opens; rejects with the socket error otherwise. */
export function tcpConnect({
  host,
  port,
  timeoutMs,
}: {
  host: string;
  port: number;
  timeoutMs: number;
}): Promise<true> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const done = (error?: Error) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(true);
    };
    socket.setTimeout(timeoutMs, () =>
      done(Object.assign(new Error(`connect ETIMEDOUT ${host}:${port}`), { code: 'ETIMEDOUT' })),
    );
    socket.once('connect', () => done());
    socket.once('error', done);
  });
}

/** True when host:port accepts a TCP connection within the timeout. Never throws. */
export async function tcpAnswers({
  host,
  port,
  timeoutMs = 1000,
}: {
  host: string;
  port: number;
  timeoutMs?: number;
}): Promise<boolean> {
  return tcpConnect({ host, port, timeoutMs }).catch(() => false);
}

export function hostNotFound({
  host,
  hostVar,
  cause,
}: {
  host: string;
  hostVar: string;
  cause?: unknown;
}): DifyctlError {
  return netHostNotFound(`host "${host}" does not resolve (${hostVar})`, {
    hint: `Fix ${hostVar}: a compose service name only resolves inside the compose network; from the host use 127.0.0.1.`,
    cause,
  });
}

/** Ready when the port accepts a connection. An unknown host is fatal; refused is worth waiting on. */
export function tcpStrategy(target: TcpTarget): ReadinessStrategy {
  return {
    name: `tcp ${target.host}:${target.port}`,
    async check({ timeoutMs }): Promise<Probe> {
      try {
        await tcpConnect({ host: target.host, port: target.port, timeoutMs });
        return { ok: true };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code; // socket errors carry a code
        if (code === 'ENOTFOUND')
          return {
            ok: false,
            reason: `${target.host} does not resolve`,
            fatal: hostNotFound({ host: target.host, hostVar: target.hostVar ?? 'the host', cause: error }),
          };
        return notReady(
          code === 'ECONNREFUSED'
            ? `connection refused at ${target.host}:${target.port}`
            : `${target.host}:${target.port}: ${(error as Error).message}`,
        );
      }
    },
  };
}
