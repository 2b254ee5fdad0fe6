/**
 * Freezes a real server process (and its children: PostgreSQL's backends are processes of their
 * own) with SIGSTOP, as a stalled host or a swapped-out VM looks to its clients: connections stay
 * open, nothing answers. `resume()` sends SIGCONT; call it in a `finally`, and it is also sent if the
 * test process exits while the server is frozen.
 *
 *   const stall = freeze(pg.process.pid!);
 *   try { …requests… } finally { stall.resume(); }
 */
import { readFileSync, readdirSync } from 'node:fs';

/** The pids whose parent is `pid` (from /proc, Linux). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we read.
    }
  }
  return children;
}

const signal = (pid: number, name: NodeJS.Signals): void => {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
};

export interface Stall {
  /** The processes that were stopped. */
  pids: number[];
  resume(): void;
}

export function freeze(pid: number, options: { withChildren?: boolean } = {}): Stall {
  // The parent first: it cannot fork a new child once stopped, so the list below is complete.
  signal(pid, 'SIGSTOP');
  const pids = [pid, ...(options.withChildren === false ? [] : childrenOf(pid))];
  for (const child of pids.slice(1)) signal(child, 'SIGSTOP');
  let resumed = false;
  const resume = (): void => {
    if (resumed) return;
    resumed = true;
    process.removeListener('exit', resume);
    for (const p of pids) signal(p, 'SIGCONT');
  };
  process.once('exit', resume);
  return { pids, resume };
}
