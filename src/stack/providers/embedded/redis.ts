import { mkdir, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { freePort, portIsFree } from '../../ports.js';
import type { Reporter } from '../../types.js';
import { logPath } from '../../../supervision/paths.js';
import { findOnPath, pidRuns, readRange, spawnDetached } from '../../../supervision/process.js';

export interface EmbeddedRedisArgs {
  projectDir: string;
  username?: string;
  password?: string;
  preferredPort: number;
  report: Reporter;
  /** @default process.env.PATH */
  path?: string;
  /** The previous run's pid and port, from the state file. */
  previous?: { pid?: number; port?: number };
}

export const embeddedRedisDir = (projectDir: string) => path.join(projectDir, '.difyctl', 'embedded', 'redis');

/** This project's redis-server from the state file's pid, when it still runs (in its data dir). */
export async function runningRedis(
  projectDir: string,
  previous: { pid?: number; port?: number } | undefined,
): Promise<{ pid: number; port: number } | undefined> {
  if (!previous?.pid || !previous.port) return undefined;
  return (await pidRuns(previous.pid, 'redis-server', embeddedRedisDir(projectDir)))
    ? { pid: previous.pid, port: previous.port }
    : undefined;
}

/**
 * A `redis-server` from PATH, detached, data in `.difyctl/embedded/redis`. Undefined when there is
 * none: the server then runs its Redis duties on PostgreSQL.
 */
export async function startEmbeddedRedis(args: EmbeddedRedisArgs) {
  const dataDir = embeddedRedisDir(args.projectDir);
  const logFile = logPath(args.projectDir, 'redis');
  const running = await runningRedis(args.projectDir, args.previous);
  if (running) return { ...running, dataDir, logFile, reused: true };
  const binary = await findOnPath('redis-server', args.path ?? process.env.PATH);
  if (!binary) return undefined;
  // The shared parent (.difyctl/embedded) must stay enterable by the postgres user when redis
  // creates it first: a recursive mkdir would give it the data dir's 0700.
  await mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const config = path.join(dataDir, 'redis.conf');
  for (let attempt = 1; ; attempt++) {
    const port = attempt === 1 && (await portIsFree(args.preferredPort)) ? args.preferredPort : await freePort();
    // The password goes in a 0600 config file, not on the command line where `ps` shows it.
    await writeFile(config, redisConfig(args, dataDir, port), { mode: 0o600 });
    args.report({ type: 'starting', dependency: 'redis', detail: `starting ${binary} on 127.0.0.1:${port}` });
    const logged = await logSize(logFile);
    const pid = await spawnDetached({ command: binary, args: [config], logFile, cwd: dataDir });
    // A port found free can be bound by another project's server starting at the same moment: this
    // one then exits at once, saying so, and another free port is tried.
    if (attempt === PORT_ATTEMPTS || !(await lostPort(pid, logFile, logged)))
      return { pid, port, dataDir, logFile, reused: false };
  }
}

/** Ports tried when the one found free is taken before redis-server binds it. */
const PORT_ATTEMPTS = 3;

/** redis.conf: loopback on `port`, data in `dataDir`, the log on stdout, the configured user or password. */
function redisConfig(args: EmbeddedRedisArgs, dataDir: string, port: number): string {
  const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const lines = [`port ${port}`, 'bind 127.0.0.1', `dir ${quote(dataDir)}`, 'daemonize no', 'logfile ""'];
  if (args.username && args.username !== 'default')
    lines.push(`user ${args.username} on ${quote(`>${args.password ?? ''}`)} ~* &* +@all`, 'user default off');
  else if (args.password) lines.push(`requirepass ${quote(args.password)}`);
  return `${lines.join('\n')}\n`;
}

const logSize = (file: string): Promise<number> =>
  stat(file).then(
    (s) => s.size,
    () => 0,
  );

/** What the log got after its first `from` bytes (only those are read). */
async function logSince(file: string, from: number): Promise<string> {
  const size = await logSize(file);
  return size > from ? readRange(file, from, size).catch(() => '') : '';
}

/**
 * Waits until the redis-server just started listens or is gone: true when it is gone because its
 * port was taken. It logs "Server initialized" once it listens, and fails to bind within moments of
 * its start; anything else (no such line within 2 s, another failure) is left to the readiness
 * check, which reports it with the log.
 */
async function lostPort(pid: number, logFile: string, from: number): Promise<boolean> {
  const deadline = performance.now() + 2000;
  while (performance.now() < deadline) {
    if (/Server initialized|Ready to accept connections/.test(await logSince(logFile, from))) return false;
    if (!(await pidRuns(pid, 'redis-server'))) return /Address already in use/.test(await logSince(logFile, from));
    await sleep(20);
  }
  return false;
}
