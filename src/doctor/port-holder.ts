import { readdir, readFile, readlink } from 'node:fs/promises';
import { REDACTED } from '../config/secrets.js';

export interface PortHolder {
  pid: number;
  command: string;
}

/**
 * Another program's command line as doctor may print it: passwords in URLs (`redis://:pw@`) and
 * after secret-looking flags (`--requirepass pw`, `--password=pw`) masked.
 */
export function redactCommand(command: string): string {
  return command
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/@:]*):[^\s/@]*@/gi, `$1:${REDACTED}@`)
    .replace(/(-[\w-]*(?:pass|secret|token|key)[\w-]*)(=|\s+)(?!-)\S+/gi, `$1$2${REDACTED}`);
}

/** Socket inodes listening on the port, from /proc/net/tcp and tcp6 (state 0A = LISTEN). */
async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A' && cols[9]) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/**
 * The process listening on a local port, found through /proc (Linux). Undefined when it cannot be
 * seen (another user's process, another network namespace, not Linux).
 */
export async function findPortHolder(port: number): Promise<PortHolder | undefined> {
  const inodes = await listeningInodes(port);
  if (!inodes.size) return undefined;
  const pids = (await readdir('/proc').catch(() => [])).filter((d) => /^\d+$/.test(d));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''))
          .split('\0')
          .filter(Boolean)
          .join(' ');
        return { pid: Number(pid), command: redactCommand(cmdline) || 'unknown' };
      }
    }
  }
  return undefined;
}

/** docker-proxy's command line names the container's address and port it forwards to. */
export function dockerProxyTarget(command: string): { ip: string; port: number } | undefined {
  const ip = /-container-ip\s+(\S+)/.exec(command)?.[1];
  const port = /-container-port\s+(\d+)/.exec(command)?.[1];
  return ip && port ? { ip, port: Number(port) } : undefined;
}
