// What a process tree used, read from /proc: independent of what else runs on the machine.
import { readFileSync } from 'node:fs';

/** Resolves once `child` (a ChildProcess) has exited. */
export const stopped = (child) => new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));

export const childrenOf = (pid) =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

/** CPU seconds a process used, its reaped children included (utime, stime, cutime, cstime). */
export const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
};

/** CPU seconds of a process and its live children. */
export const treeCpu = (pid) => cpuSeconds(pid) + childrenOf(pid).reduce((sum, child) => sum + cpuSeconds(child), 0);

export const rssMb = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
