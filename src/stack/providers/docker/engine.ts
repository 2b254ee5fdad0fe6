import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { dockerodeRuntime, type ContainerRuntime, type EngineEndpoint } from './runtime.js';
import { dockerUnreachable } from '../../errors.js';

export type { EngineEndpoint };

/** The engine `up` started containers on, kept in the state file: `down`, `ps`, `logs` use it. */
export interface RecordedEngine extends EngineEndpoint {
  /** The engine's ID (`docker info`): tells the same engine reached by another path from another engine. */
  id?: string;
}

const DEFAULT_SOCKET = 'unix:///var/run/docker.sock';

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>; // docker CLI files; fields checked by the caller
  } catch {
    return undefined;
  }
}

/**
 * Where the docker CLI would connect: DOCKER_HOST, else DOCKER_CONTEXT or the current context of
 * ~/.docker/config.json (its endpoint in contexts/meta/<sha256 of the name>/meta.json), else the
 * default socket.
 */
export function engineEndpoint(env: NodeJS.ProcessEnv, home = os.homedir()): EngineEndpoint {
  if (env.DOCKER_HOST) return { host: env.DOCKER_HOST, source: 'DOCKER_HOST' };
  const configDir = env.DOCKER_CONFIG ?? path.join(home, '.docker');
  const context =
    env.DOCKER_CONTEXT ?? (readJson(path.join(configDir, 'config.json'))?.currentContext as string | undefined);
  if (context && context !== 'default') {
    const id = createHash('sha256').update(context).digest('hex');
    const meta = readJson(path.join(configDir, 'contexts', 'meta', id, 'meta.json'));
    const endpoints = meta?.Endpoints as Record<string, { Host?: string }> | undefined;
    const host = endpoints?.docker?.Host;
    if (host) return { host, source: `docker context "${context}"` };
  }
  return { host: DEFAULT_SOCKET, source: 'the default socket' };
}

/**
 * The engine of a project: what the shell says (DOCKER_HOST, DOCKER_CONTEXT) wins; else the engine
 * `up` recorded in the state file (its containers are there, whatever the shell forgot since);
 * else where the docker CLI would connect.
 */
export function projectEndpoint(args: {
  env: NodeJS.ProcessEnv;
  recorded?: RecordedEngine;
  home?: string;
}): EngineEndpoint {
  const { env, recorded } = args;
  if (env.DOCKER_HOST || env.DOCKER_CONTEXT || !recorded) return engineEndpoint(env, args.home);
  return { host: recorded.host, source: `recorded by \`up\` in .difyctl/state.json, from ${recorded.source}` };
}

/** dockerode's constructor options for an endpoint. */
export function dockerOptions(endpoint: EngineEndpoint): Docker.DockerOptions {
  const url = new URL(endpoint.host);
  if (url.protocol === 'unix:') return { socketPath: decodeURIComponent(url.pathname) };
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const tls = url.protocol === 'https:' || url.port === '2376';
    return { protocol: tls ? 'https' : 'http', host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)) };
  }
  throw dockerUnreachable(`unsupported Docker endpoint ${endpoint.host} (${endpoint.source})`, {
    hint: 'Use a unix:// or tcp:// DOCKER_HOST, or `--provider embedded`.',
  });
}

/** A reachable engine: the container-runtime seam, plus dockerode for the docker provider's own work. */
export type Engine = ContainerRuntime & { docker: Docker };

export interface ConnectOptions {
  /** @default 2000 */
  timeoutMs?: number;
  /** The engine the project's state file recorded (used when the shell names none). */
  recorded?: RecordedEngine;
}

/** Connects and pings (bounded); DOCKER.UNREACHABLE naming where it looked. */
export async function connectEngine(env: NodeJS.ProcessEnv, options: ConnectOptions = {}): Promise<Engine> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const endpoint = projectEndpoint({ env, recorded: options.recorded });
  const { loadDockerode } = await import('./load-dockerode.js');
  const DockerClass = await loadDockerode();
  const docker = new DockerClass({ ...dockerOptions(endpoint), timeout: 0 });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([docker.ping(), timeout]);
    return dockerodeRuntime(docker, endpoint);
  } catch (error) {
    throw dockerUnreachable(
      `the Docker engine does not answer at ${endpoint.host} (${endpoint.source}): ${(error as Error).message}`,
      {
        hint:
          options.recorded && endpoint.host === options.recorded.host
            ? `This project's containers were started on that engine: start it, or set DOCKER_HOST to where it answers now.`
            : 'Start Docker (or set DOCKER_HOST), or run without it: `--provider embedded`.',
        cause: error,
      },
    );
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** The engine, or undefined when none answers. */
export async function tryEngine(env: NodeJS.ProcessEnv, options: ConnectOptions = {}): Promise<Engine | undefined> {
  return connectEngine(env, options).catch(() => undefined);
}
